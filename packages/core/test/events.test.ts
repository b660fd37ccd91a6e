import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJob, Jobfleet, type JobEvent } from '../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../testing/index.ts';

const work = defineJob({
  name: 'work',
  handler: (_p, ctx) => {
    ctx.progress(40, 'working');
    ctx.log('a line');
    return 'ok';
  },
});

describe.runIf(pgAvailable)('events across processes through NOTIFY', () => {
  let db: TestDatabase;
  let api: Jobfleet;
  let workers: Jobfleet;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Two handles on one database stand for an API process and a worker process.
    api = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [work] });
    workers = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [work] });
    await workers.createWorker({ pollIntervalMs: 100 }).start();
  });
  afterAll(async () => {
    await workers?.close();
    await api?.close();
    await db?.drop();
  });

  it('delivers a worker’s state changes, progress and logs to another process, once each', async () => {
    const seen: JobEvent[] = [];
    api.events.subscribe((e) => seen.push(e));
    const job = await api.client.enqueue('work', null);
    await waitFor(() => seen.some((e) => e.jobId === job.id && e.status === 'COMPLETED'), { what: 'the COMPLETED event' });
    const mine = seen.filter((e) => e.jobId === job.id);
    expect(mine.filter((e) => e.kind === 'state').map((e) => e.status)).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    expect(mine.find((e) => e.kind === 'progress')).toMatchObject({ progress: 40, message: 'working', type: 'work' });
    expect(mine.find((e) => e.kind === 'log')).toMatchObject({ message: 'a line' });
  });
});
