import { prepare, sleep } from '../resources.ts';
import { JobTracker } from '../tracker.ts';
import type { BenchSystem, SessionResources, SystemFactory } from '../types.ts';

/** Where a session's data lives, for workloads that start processes of their own or inspect storage. */
export type SessionPlace = Omit<SessionResources, 'onJob'>;

/** One system on fresh resources: prepare (create database / flush Redis), setup, fn, teardown, drop. */
export async function withSession<T>(
  factory: SystemFactory,
  fn: (system: BenchSystem, tracker: JobTracker, place: SessionPlace) => Promise<T>,
): Promise<T> {
  const system = factory();
  const prepared = await prepare(system.backend, system.id);
  const tracker = new JobTracker();
  try {
    await system.setup({ ...prepared.res, onJob: tracker.onJob });
    try {
      return await fn(system, tracker, prepared.res);
    } finally {
      await system.teardown().catch((e: unknown) => console.error(`  ${system.id}: teardown failed: ${(e as Error).message}`));
    }
  } finally {
    // Let pools finish closing before the database is dropped WITH (FORCE).
    await sleep(50);
    await prepared.cleanup().catch((e: unknown) => console.error(`  ${system.id}: cleanup failed: ${(e as Error).message}`));
  }
}

/** Polls cond every intervalMs until it holds; false on timeout. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, intervalMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
