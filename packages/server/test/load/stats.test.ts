/** The load test's bookkeeping and verdicts, on made-up figures: each check passes and fails where it should. */
import { describe, expect, it } from 'vitest';
import { formatTable, p99Stable, percentile, Recorder, rssFlat, summarize } from './stats.ts';

describe('load statistics', () => {
  it('percentile is nearest-rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 99)).toBeNaN();
  });

  it('records into the interval a request was issued in, errors included', () => {
    const r = new Recorder();
    const a = r.begin('a');
    r.record(a, 'submit', 5);
    const b = r.begin('b');
    r.record(a, 'poll', 500, '503 unavailable'); // answered during b, issued during a
    r.record(b, 'list', 3);
    r.end();
    const [sa, sb] = r.intervals.map(summarize);
    expect(sa).toMatchObject({ requests: 2, errors: 1, counts: { submit: 1, poll: 1, list: 0, follow: 0 }, max: 500 });
    expect(sb).toMatchObject({ requests: 1, errors: 0 });
    expect(r.errorSamples).toEqual(['[a] poll: 503 unavailable']);
    expect(formatTable([sa!, sb!]).split('\n')).toHaveLength(4);
  });

  it('a dropped interval leaves the one before it as the last, with its end where the dropped one began', () => {
    const r = new Recorder();
    const a = r.begin('a');
    const tail = r.begin('recheck');
    r.dropCurrent();
    r.record(tail, 'submit', 9); // a late answer to a request issued in the dropped interval
    expect(r.intervals).toEqual([a]);
    expect(r.current()).toBe(a);
    expect(a.endedAt).toBe(tail.startedAt);
    expect(summarize(a).requests).toBe(0);
  });

  it('p99 stability: within 2× + 20 ms passes, beyond fails', () => {
    const at = (p99: number) => ({ ...summarize(new Recorder().begin('x')), p99 });
    expect(p99Stable(at(10), at(40), 2, 20)).toBe(true);
    expect(p99Stable(at(10), at(40.1), 2, 20)).toBe(false);
    expect(p99Stable(at(2), at(23), 2, 20)).toBe(true); // the floor absorbs noise at tiny p99s
    expect(p99Stable(at(50), at(500), 2, 20)).toBe(false);
  });

  it('RSS flatness: within 1.5× + 50 MiB passes, beyond fails', () => {
    expect(rssFlat(200, 350, 1.5, 50)).toBe(true);
    expect(rssFlat(200, 351, 1.5, 50)).toBe(false);
  });
});
