import { prepare, sleep } from '../resources.ts';
import { JobTracker } from '../tracker.ts';
import type { BenchSystem, SystemFactory } from '../types.ts';

/** One system on fresh resources: prepare (create database / flush Redis), setup, fn, teardown, drop. */
export async function withSession<T>(factory: SystemFactory, fn: (system: BenchSystem, tracker: JobTracker) => Promise<T>): Promise<T> {
  const system = factory();
  const prepared = await prepare(system.backend, system.id);
  const tracker = new JobTracker();
  try {
    await system.setup({ ...prepared.res, onJob: tracker.onJob });
    try {
      return await fn(system, tracker);
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
