import { describe, expect, it } from 'vitest';
import { encodeOutcome } from '../src/worker/outcome.ts';
import type { Database } from '../src/db/database.ts';
import { OutcomeWriter } from '../src/worker/outcome-writer.ts';

describe('encodeOutcome', () => {
  const id = '01935c4e-0000-7000-8000-000000000000';

  it('writes only the parts an outcome has (absent keys read as NULL in json_to_recordset)', () => {
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED' }))).toEqual({ id, token: id, status: 'COMPLETED' });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: null, logs: [] }))).toEqual({
      id,
      token: id,
      status: 'COMPLETED',
    });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'QUEUED', release: false }))).not.toHaveProperty('release');
  });

  it('keeps falsy results, errors, retry times, logs and releases', () => {
    const error = { message: 'boom', attempt: 1, at: '2026-01-01T00:00:00.000Z' };
    const logs = [{ at: '2026-01-01T00:00:00.000Z', message: 'hi' }];
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: 0 })).result).toBe(0);
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: false })).result).toBe(false);
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: '' })).result).toBe('');
    expect(
      JSON.parse(encodeOutcome({ id, token: id, status: 'FAILED', error, runAt: '2026-01-01T00:00:01.000Z', logs })),
    ).toEqual({ id, token: id, status: 'FAILED', error, run_at: '2026-01-01T00:00:01.000Z', logs });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'QUEUED', release: true })).release).toBe(true);
  });

  it('throws on a result JSON cannot carry, so the worker fails that attempt alone', () => {
    expect(() => encodeOutcome({ id, token: id, status: 'COMPLETED', result: 10n })).toThrow();
  });
});

describe('OutcomeWriter batching', () => {
  /** A database that holds each statement until the test lets it commit; it records each batch's size. */
  function holdingDb() {
    const batches: number[] = [];
    const commits: (() => void)[] = [];
    const db = {
      kind: 'pg' as const,
      query: (_sql: string, params?: unknown[]) =>
        new Promise<{ rows: never[]; rowCount: number }>((resolve) => {
          batches.push((JSON.parse(String(params?.[0])) as unknown[]).length);
          commits.push(() => resolve({ rows: [], rowCount: 0 }));
        }),
      transaction: () => Promise.reject(new Error('unused')),
      listen: () => Promise.reject(new Error('unused')),
      close: () => Promise.resolve(),
    };
    return { db: db as unknown as Database, batches, commits };
  }
  const tick = () => new Promise((r) => setImmediate(r));
  const outcome = (i: number) => encodeOutcome({ id: String(i), token: 't', status: 'COMPLETED' });
  const job = (i: number) => ({ id: String(i), type: 'work', queue: 'default', ownerId: null, attempts: 1 });

  it('writes a lone outcome at once and gathers a trickle behind the flush in progress', async () => {
    const { db, batches, commits } = holdingDb();
    const writer = new OutcomeWriter(db, 'jobfleet', undefined, () => {});
    writer.record(job(0), 't', outcome(0), 'COMPLETED');
    await tick();
    expect(batches).toEqual([1]);
    // Jobs finishing a few at a time while the first statement commits: no statement of a handful each.
    for (let i = 1; i <= 12; i++) {
      writer.record(job(i), 't', outcome(i), 'COMPLETED');
      await tick();
    }
    expect(batches).toEqual([1]);
    expect(writer.size).toBe(13);
    commits.shift()?.();
    await tick();
    expect(batches).toEqual([1, 12]);
    commits.shift()?.();
    await writer.drain();
    expect(writer.size).toBe(0);
  });

  it('starts a second statement beside the first once a burst waits', async () => {
    const { db, batches, commits } = holdingDb();
    const writer = new OutcomeWriter(db, 'jobfleet', undefined, () => {});
    writer.record(job(0), 't', outcome(0), 'COMPLETED');
    await tick();
    for (let i = 1; i <= 150; i++) writer.record(job(i), 't', outcome(i), 'COMPLETED');
    await tick();
    expect(batches).toEqual([1, 150]);
    // Never more than two in flight: the next burst waits for a commit.
    for (let i = 151; i <= 400; i++) writer.record(job(i), 't', outcome(i), 'COMPLETED');
    await tick();
    expect(batches).toEqual([1, 150]);
    commits.shift()?.();
    await tick();
    expect(batches).toEqual([1, 150, 250]);
    commits.splice(0).forEach((c) => c());
    await writer.drain();
    expect(writer.size).toBe(0);
  });
  it('starts no write while held (a direct start waits for its WAL flush), whether the hold resolves or fails', async () => {
    const { db, batches, commits } = holdingDb();
    const writer = new OutcomeWriter(db, 'jobfleet', undefined, () => {});
    let resolveFirst!: () => void;
    let rejectSecond!: (e: Error) => void;
    writer.holdUntil(new Promise<void>((r) => (resolveFirst = r)));
    writer.holdUntil(new Promise<void>((_, j) => (rejectSecond = j)));
    writer.record(job(0), 't', outcome(0), 'COMPLETED');
    writer.record(job(1), 't', outcome(1), 'COMPLETED');
    await tick();
    expect(batches).toEqual([]);
    expect(writer.size).toBe(2);
    expect(writer.pending().map((p) => p.id)).toEqual(['0', '1']);
    // Both holds must settle; a failed one releases like a resolved one.
    resolveFirst();
    await tick();
    expect(batches).toEqual([]);
    rejectSecond(new Error('flush failed'));
    await tick();
    expect(batches).toEqual([2]);
    commits.shift()?.();
    await writer.drain();
    expect(writer.size).toBe(0);
  });
  it('a hold that does not settle lets writes go after its time limit: it is only a speed-up', async () => {
    const { db, batches, commits } = holdingDb();
    const writer = new OutcomeWriter(db, 'jobfleet', undefined, () => {});
    writer.holdUntil(new Promise(() => {}), 30);
    writer.record(job(0), 't', outcome(0), 'COMPLETED');
    await tick();
    expect(batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toEqual([1]);
    commits.shift()?.();
    await writer.drain();
  });
});
