/** The dashboard's DOM-free logic: payload forms from JSON Schema, rates from polled counts, the job timeline. */
import { describe, expect, it } from 'vitest';
import { buildPayload, formModel, initialValues } from '../src/schema-form.ts';
import { rateBetween, ratesOf, sampleOf, pushBounded } from '../src/metrics.ts';
import { jobTimeline, shortId } from '../src/format.ts';
import type { Job } from '@jobfleet/client';

describe('formModel / buildPayload', () => {
  it('makes one input per property of an object of primitives, with defaults', () => {
    const schema = {
      type: 'object',
      properties: {
        times: { default: 1, type: 'integer', minimum: 0, maximum: 100 },
        permanent: { default: false, type: 'boolean' },
        mode: { enum: ['fast', 'slow'] },
        note: { type: 'string', maxLength: 50 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['times', 'mode'],
    };
    const m = formModel(schema);
    expect(m.mode).toBe('object');
    if (m.mode !== 'object') return;
    expect(m.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['times', 'integer', true],
      ['permanent', 'boolean', false],
      ['mode', 'enum', true],
      ['note', 'string', false],
      ['tags', 'json', false],
    ]);
    const v = initialValues(m);
    expect(v).toEqual({ times: '1', permanent: false, mode: '', note: '', tags: '' });
    expect(buildPayload(m, v)).toEqual({ ok: false, errors: { mode: 'Required.' } });
    expect(buildPayload(m, { ...v, mode: '1', permanent: true, tags: '["a"]' })).toEqual({
      ok: true,
      payload: { times: 1, permanent: true, mode: 'slow', tags: ['a'] },
    });
    const bad = buildPayload(m, { ...v, mode: '0', times: '2.5', tags: '[' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['tags', 'times']);
    expect(buildPayload(m, { ...v, mode: '0', times: '101' })).toEqual({ ok: false, errors: { times: 'At most 100.' } });
  });

  it('makes a single input for a top-level string or number', () => {
    const s = formModel({ type: 'string', maxLength: 1_000_000 });
    expect(s.mode).toBe('single');
    expect(buildPayload(s, { $payload: 'hello world' })).toEqual({ ok: true, payload: 'hello world' });
    expect(buildPayload(s, { $payload: '' })).toEqual({ ok: true, payload: '' });
    const n = formModel({ type: 'integer', minimum: 0, maximum: 10_000 });
    expect(n.mode).toBe('single');
    expect(buildPayload(n, { $payload: '' }).ok).toBe(false);
    expect(buildPayload(n, { $payload: '42' })).toEqual({ ok: true, payload: 42 });
  });

  it('falls back to a JSON textarea for anything else', () => {
    for (const schema of [null, { anyOf: [{ type: 'string' }, { type: 'array' }] }, { type: 'array' }, { type: 'object' }]) {
      expect(formModel(schema).mode).toBe('json');
    }
    const m = formModel(null);
    expect(buildPayload(m, { $payload: '' })).toEqual({ ok: true, payload: undefined });
    expect(buildPayload(m, { $payload: '{"a":1}' })).toEqual({ ok: true, payload: { a: 1 } });
    expect(buildPayload(m, { $payload: '{a' }).ok).toBe(false);
  });
});

describe('rates from polled counts', () => {
  const q = (completed: number, failed: number, dead: number) => ({
    counts: { SCHEDULED: 0, QUEUED: 0, RUNNING: 0, COMPLETED: completed, FAILED: failed, DEAD: dead, CANCELLED: 0 },
  });

  it('sums queues and turns growth into per-second rates', () => {
    const a = sampleOf([q(10, 0, 0), q(5, 1, 0)], 0);
    const b = sampleOf([q(18, 0, 1), q(7, 2, 0)], 2000);
    expect(a).toEqual({ at: 0, completed: 15, failed: 1, dead: 0 });
    const r = rateBetween(a, b);
    expect(r.throughput).toBe(5); // 10 more completed in 2 s
    expect(r.failures).toBe(1); // 1 more FAILED and 1 more DEAD in 2 s
    expect(r.failureRate).toBeCloseTo(2 / 12);
  });

  it('ignores shrinking counts and reports no failure rate when nothing finished', () => {
    const r = rateBetween(sampleOf([q(10, 3, 0)], 0), sampleOf([q(4, 1, 0)], 1000));
    expect(r).toEqual({ at: 1000, throughput: 0, failures: 0, failureRate: null });
    expect(ratesOf([sampleOf([q(0, 0, 0)], 0)])).toEqual([]);
    expect(pushBounded([1, 2, 3], 4, 3)).toEqual([2, 3, 4]);
  });
});

describe('jobTimeline', () => {
  const job = (over: Partial<Job>): Job =>
    ({
      id: '01a20c6e-9b50-7325-8e3d-4cc649cb758f',
      type: 'flaky',
      queue: 'default',
      status: 'QUEUED',
      attempts: 0,
      maxAttempts: 3,
      errors: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      runAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      ...over,
    }) as Job;

  it('tells failed attempts, replays and the end', () => {
    const e = (attempt: number, at: string) => ({ attempt, at, message: 'boom', name: 'Error' });
    const t = jobTimeline(
      job({
        status: 'DEAD',
        attempts: 1,
        finishedAt: '2026-01-01T00:00:05.000Z',
        errors: [e(1, '2026-01-01T00:00:01.000Z'), e(1, '2026-01-01T00:00:04.000Z')],
      }),
    );
    expect(t.map((x) => x.title)).toEqual([
      'Submitted',
      'Attempt 1 failed',
      'Replayed with fresh attempts',
      'Attempt 1 failed',
      'Moved to the dead letters',
    ]);
    expect(jobTimeline(job({ status: 'RUNNING', attempts: 1, startedAt: '2026-01-01T00:00:01.000Z' })).at(-1)?.title).toBe(
      'Attempt 1 running',
    );
  });

  it('shortens ids to their distinctive end', () => {
    expect(shortId('01a20c6e-9b50-7325-8e3d-4cc649cb758f')).toBe('…49cb758f');
  });
});
