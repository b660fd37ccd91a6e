import { performance } from 'node:perf_hooks';
import type { BenchPayload } from './types.ts';

/**
 * Counts handler invocations: which drain jobs ran (and whether any ran twice), and the
 * enqueue-to-start latency of probes. The handler of every system calls onJob first thing.
 */
export class JobTracker {
  private seen = new Uint8Array(0);
  count = 0;
  duplicates = 0;
  stray = 0;
  firstStartAt = 0;
  private probeWaiter: ((latencyMs: number) => void) | null = null;

  /** Resets for a drain of n jobs numbered 0 … n-1. */
  expect(n: number): void {
    this.seen = new Uint8Array(n);
    this.count = 0;
    this.duplicates = 0;
    this.stray = 0;
    this.firstStartAt = 0;
  }

  readonly onJob = (payload: unknown): void => {
    const now = performance.now();
    const p = (payload ?? {}) as BenchPayload;
    if (typeof p.t === 'number') {
      const w = this.probeWaiter;
      this.probeWaiter = null;
      if (w) w(now - p.t);
      else this.stray++;
      return;
    }
    if (typeof p.i !== 'number' || p.i < 0 || p.i >= this.seen.length) {
      this.stray++;
      return;
    }
    if (this.count === 0) this.firstStartAt = now;
    if (this.seen[p.i]) this.duplicates++;
    else {
      this.seen[p.i] = 1;
      this.count++;
    }
  };

  /** Distinct drain jobs that ran. */
  get distinct(): number {
    return this.count;
  }

  /** Resolves with the latency of the next probe job to start, or null after timeoutMs. */
  nextProbe(timeoutMs: number): { promise: Promise<number | null>; cancel: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<number | null>((resolve) => {
      this.probeWaiter = (ms) => {
        clearTimeout(timer);
        resolve(ms);
      };
      timer = setTimeout(() => {
        this.probeWaiter = null;
        resolve(null);
      }, timeoutMs);
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        this.probeWaiter = null;
      },
    };
  }
}
