import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  backoffDelay,
  defineJob,
  discoverJobTypes,
  discoverSchedules,
  Jobfleet,
  JobTypeRegistry,
  payloadJsonSchema,
  ScheduleService,
  syncSchedules,
} from '../src/index.ts';

describe('job types', () => {
  it('discovers every job type exported from a folder, recursively, skipping test files', async () => {
    const types = await discoverJobTypes(new URL('./fixtures/jobs-folder', import.meta.url).pathname);
    expect(types.map((t) => t.name).sort()).toEqual(['greet', 'one', 'three', 'two']);
  });

  it('discovers schedules declared next to the job types, and syncs them at start-up', async () => {
    const folder = new URL('./fixtures/jobs-folder', import.meta.url).pathname;
    const schedules = await discoverSchedules(folder);
    expect(schedules.map((s) => s.name)).toEqual(['greet-every-morning']);
    const fleet = await Jobfleet.open({ memory: true, jobTypes: await discoverJobTypes(folder) });
    try {
      await syncSchedules(fleet, schedules);
      const { schedules: stored } = await new ScheduleService(fleet).list();
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        name: 'greet-every-morning',
        jobType: 'greet',
        timezone: 'Europe/Berlin',
        source: 'code',
      });
      expect(stored[0]!.nextRun).toBeInstanceOf(Date);
    } finally {
      await fleet.close();
    }
  });

  it('says clearly when the folder does not exist', async () => {
    await expect(discoverJobTypes('/nonexistent/jobs')).rejects.toThrow(/does not exist/);
  });

  it('refuses invalid names, missing handlers and duplicate names', () => {
    expect(() => defineJob({ name: '1bad name', handler: () => null })).toThrow(/invalid/);
    expect(() => defineJob({ name: 'x'.repeat(200), handler: () => null })).toThrow(/invalid/);
    expect(() => defineJob({ name: 'ok', handler: undefined as never })).toThrow(/handler/);
    const r = new JobTypeRegistry([defineJob({ name: 'dup', handler: () => 1 })]);
    expect(() => r.add(defineJob({ name: 'dup', handler: () => 2 }))).toThrow(/Two job types/);
  });

  it('publishes a payload JSON Schema from the zod schema', () => {
    const t = defineJob({
      name: 's',
      schema: z.object({ n: z.number().int().min(1), tag: z.string().optional() }),
      handler: () => null,
    });
    expect(payloadJsonSchema(t)).toMatchObject({
      type: 'object',
      properties: { n: { type: 'integer', minimum: 1 } },
      required: ['n'],
    });
    expect(payloadJsonSchema(defineJob({ name: 'none', handler: () => null }))).toBeNull();
  });

  it('computes exponential backoff with a cap and jitter, and fixed backoff', () => {
    const p = { type: 'exponential' as const, delayMs: 1000, maxDelayMs: 5000, jitter: false };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(p, a))).toEqual([1000, 2000, 4000, 5000, 5000]);
    const jittered = { ...p, jitter: true };
    expect(backoffDelay(jittered, 3, () => 0)).toBe(2000);
    expect(backoffDelay(jittered, 3, () => 1)).toBe(4000);
    expect(backoffDelay({ type: 'fixed', delayMs: 250 }, 9)).toBe(250);
    // Anything unreadable falls back to the default policy rather than failing the retry.
    expect(backoffDelay({ type: 'bogus' }, 1, () => 1)).toBe(1000);
  });
});
