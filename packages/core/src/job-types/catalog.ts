import type { Queryable } from '../db/database.ts';
import type { ResolvedBackoff } from '../backoff.ts';
import { payloadJsonSchema, type JobTypeRegistry } from './registry.ts';
import { jsonSchemaValidator, zodValidator, type Validate } from './payload-validator.ts';
import { listJobTypesSql } from '../sql/job-types.ts';

export interface JobTypeInfo {
  name: string;
  description: string | null;
  queue: string;
  payloadSchema: Record<string, unknown> | null;
  priority: number;
  maxAttempts: number;
  backoff: ResolvedBackoff | null;
  timeoutMs: number | null;
  /** Live workers serving this type (seen within the liveness window). */
  workers: number;
  lastSeenAt: Date | null;
}

export interface ResolvedJobType {
  info: JobTypeInfo;
  validate: Validate;
}

interface Row {
  name: string;
  description: string | null;
  queue: string;
  payload_schema: Record<string, unknown> | null;
  priority: number;
  max_attempts: number;
  backoff: ResolvedBackoff | null;
  timeout_ms: number | null;
  last_seen_at: Date | string;
  workers: number;
}

/**
 * Knows every job type: those registered in this process and those published by live workers
 * elsewhere. The published list is cached briefly; an unknown name forces a refresh.
 */
export class JobTypeCatalog {
  private cache: { at: number; types: Map<string, JobTypeInfo> } | null = null;
  private loading: Promise<Map<string, JobTypeInfo>> | null = null;
  private readonly localCache = new Map<string, { payloadSchema: Record<string, unknown> | null; validate: Validate }>();

  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
    private readonly registry: JobTypeRegistry | undefined,
    private readonly cacheMs = 2000,
    /** Workers not seen for this long no longer count as live. */
    private readonly livenessMs = 60_000,
  ) {}

  async resolve(name: string): Promise<ResolvedJobType | null> {
    const local = this.registry?.get(name);
    if (local) {
      const published = (await this.published(false)).get(name);
      // Converting a zod schema to JSON Schema is costly: do it once per job type, not per job.
      let fixed = this.localCache.get(name);
      if (!fixed) {
        fixed = { payloadSchema: payloadJsonSchema(local), validate: zodValidator(local) };
        this.localCache.set(name, fixed);
      }
      return {
        info: {
          name: local.name,
          description: local.description ?? null,
          queue: local.queue ?? 'default',
          payloadSchema: fixed.payloadSchema,
          priority: local.priority ?? 0,
          maxAttempts: local.maxAttempts ?? 3,
          backoff: (local.backoff as ResolvedBackoff | undefined) ?? null,
          timeoutMs: local.timeout ?? null,
          workers: published?.workers ?? 0,
          lastSeenAt: published?.lastSeenAt ?? null,
        },
        validate: fixed.validate,
      };
    }
    let info = (await this.published(false)).get(name);
    if (!info) info = (await this.published(true)).get(name);
    if (!info) return null;
    return { info, validate: jsonSchemaValidator(info.payloadSchema) };
  }

  async list(): Promise<JobTypeInfo[]> {
    const published = await this.published(true);
    const names = new Set([...(this.registry?.names() ?? []), ...published.keys()]);
    const out: JobTypeInfo[] = [];
    for (const n of [...names].sort()) {
      const r = await this.resolve(n);
      if (r) out.push(r.info);
    }
    return out;
  }

  invalidate(): void {
    this.cache = null;
  }

  private async published(fresh: boolean): Promise<Map<string, JobTypeInfo>> {
    if (!fresh && this.cache && Date.now() - this.cache.at < this.cacheMs) return this.cache.types;
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  private async load(): Promise<Map<string, JobTypeInfo>> {
    const { rows } = await this.db.query<Row>(listJobTypesSql(this.schema), [this.livenessMs]);
    const types = new Map<string, JobTypeInfo>();
    for (const r of rows) {
      types.set(r.name, {
        name: r.name,
        description: r.description,
        queue: r.queue,
        payloadSchema: r.payload_schema,
        priority: r.priority,
        maxAttempts: r.max_attempts,
        backoff: r.backoff,
        timeoutMs: r.timeout_ms,
        workers: r.workers,
        lastSeenAt: new Date(r.last_seen_at),
      });
    }
    this.cache = { at: Date.now(), types };
    return types;
  }
}
