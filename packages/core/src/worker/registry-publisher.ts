import { hostname } from 'node:os';
import type { Database } from '../db/database.ts';
import type { JobTypeRegistry } from '../job-types/registry.ts';
import { payloadJsonSchema } from '../job-types/registry.ts';
import { deleteWorkerSql, publishJobTypesSql, upsertWorkerSql } from '../sql/job-types.ts';

/**
 * Publishes what a worker serves (its job types with their payload JSON Schemas, and itself) so
 * that API processes without the code can list job types, count live workers and validate payloads.
 */
export class RegistryPublisher {
  private lastAt = 0;

  constructor(
    private readonly db: Database,
    private readonly schema: string,
    private readonly registry: JobTypeRegistry,
    private readonly worker: { id: string; queues: string[]; concurrency: number },
    private readonly intervalMs = 10_000,
  ) {}

  async publish(): Promise<void> {
    const types = this.registry.all().map((t) => ({
      name: t.name,
      description: t.description ?? null,
      queue: t.queue ?? 'default',
      payload_schema: payloadJsonSchema(t),
      priority: t.priority ?? 0,
      max_attempts: t.maxAttempts ?? 3,
      backoff: t.backoff ?? null,
      timeout_ms: t.timeout ?? null,
    }));
    await this.db.query(publishJobTypesSql(this.schema), [JSON.stringify(types)]);
    await this.db.query(upsertWorkerSql(this.schema), [
      this.worker.id,
      hostname(),
      process.pid,
      this.worker.queues,
      this.registry.names(),
      this.worker.concurrency,
    ]);
    this.lastAt = Date.now();
  }

  async maybePublish(): Promise<void> {
    if (Date.now() - this.lastAt >= this.intervalMs) await this.publish();
  }

  async unregister(): Promise<void> {
    await this.db.query(deleteWorkerSql(this.schema), [this.worker.id]);
  }
}
