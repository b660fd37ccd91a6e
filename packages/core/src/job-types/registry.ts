import { z } from 'zod';
import type { AnyJobType } from './define-job.ts';

/** The job types this process can run, by name. */
export class JobTypeRegistry {
  private readonly types = new Map<string, AnyJobType>();

  constructor(types: Iterable<AnyJobType> = []) {
    for (const t of types) this.add(t);
  }

  add(type: AnyJobType): this {
    const existing = this.types.get(type.name);
    if (existing && existing !== type) throw new Error(`Two job types are named "${type.name}".`);
    this.types.set(type.name, type);
    return this;
  }

  get(name: string): AnyJobType | undefined {
    return this.types.get(name);
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  all(): AnyJobType[] {
    return [...this.types.values()];
  }

  /** The queues these job types run on. */
  queues(): string[] {
    return [...new Set(this.all().map((t) => t.queue ?? 'default'))];
  }
}

/** The payload JSON Schema published for a job type (null when it accepts anything). */
export function payloadJsonSchema(type: AnyJobType): Record<string, unknown> | null {
  if (!type.schema) return null;
  try {
    return z.toJSONSchema(type.schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<
      string,
      unknown
    >;
  } catch {
    return null;
  }
}
