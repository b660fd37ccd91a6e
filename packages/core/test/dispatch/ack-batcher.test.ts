import { describe, expect, it } from 'vitest';
import { AckBatcher } from '../../src/dispatch/ack-batcher.ts';

const delivered = (b: AckBatcher, from: number, to: number) => {
  for (let t = from; t <= to; t++) b.delivered(t);
};

describe('AckBatcher', () => {
  it('acknowledges a run of the oldest deliveries with one multiple ack', () => {
    const b = new AckBatcher();
    delivered(b, 1, 5);
    expect(b.plan([3, 1, 2])).toEqual({ upTo: 3, single: [] });
    expect(b.outstanding).toBe(2);
    expect(b.plan([4, 5])).toEqual({ upTo: 5, single: [] });
    expect(b.outstanding).toBe(0);
  });

  it('never covers a delivery it was not asked to acknowledge: past a gap, acks go one by one', () => {
    const b = new AckBatcher();
    delivered(b, 1, 6);
    // 3 is still running: 1–2 in a run, 4 and 6 singly; 5 stays outstanding.
    const p = b.plan([1, 2, 4, 6]);
    expect(p.upTo).toBe(2);
    expect(p.single.sort()).toEqual([4, 6]);
    expect(b.outstanding).toBe(2);
    // Once 3 goes, the run may pass over 4 (already acknowledged) up to 5, but not to 6 twice.
    expect(b.plan([3, 5])).toEqual({ upTo: 5, single: [] });
    expect(b.outstanding).toBe(0);
  });

  it('skips deliveries settled on their own (duplicates acknowledged, messages rejected)', () => {
    const b = new AckBatcher();
    delivered(b, 1, 4);
    b.settle(1);
    b.settle(3);
    expect(b.outstanding).toBe(2);
    expect(b.plan([2])).toEqual({ upTo: 2, single: [] });
    expect(b.plan([4])).toEqual({ upTo: 4, single: [] });
    expect(b.outstanding).toBe(0);
  });

  it('nothing to cover when the oldest delivery is still held', () => {
    const b = new AckBatcher();
    delivered(b, 10, 12);
    expect(b.plan([12])).toEqual({ upTo: null, single: [12] });
    expect(b.plan([11])).toEqual({ upTo: null, single: [11] });
    expect(b.plan([10])).toEqual({ upTo: 10, single: [] });
    expect(b.outstanding).toBe(0);
  });

  it('stays small over a long run of deliveries', () => {
    const b = new AckBatcher();
    for (let t = 1; t <= 100_000; t++) {
      b.delivered(t);
      if (t % 100 === 0) expect(b.plan(Array.from({ length: 100 }, (_, k) => t - k))).toEqual({ upTo: t, single: [] });
    }
    expect(b.outstanding).toBe(0);
    expect((b as unknown as { tags: number[] }).tags.length).toBeLessThan(3000);
  });
});
