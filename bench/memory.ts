import { performance } from 'node:perf_hooks';
import { steadyRss, type RssSample } from './stats.ts';

export interface MemoryStats {
  /** RSS of the process before the measured work started (runtime and libraries loaded), MiB. */
  baselineRssMiB: number;
  /** Highest RSS sampled (every 100 ms), MiB. */
  peakRssMiB: number;
  peakHeapUsedMiB: number;
  /** Median RSS over the second half of the measured work, MiB (worker processes; absent for drain sessions). */
  steadyRssMiB?: number;
}

const MiB = 2 ** 20;

/** Samples this process's memory every intervalMs from construction until stop(). */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly t0 = performance.now();
  private baseline = process.memoryUsage().rss;
  private peakRss = this.baseline;
  private peakHeap = process.memoryUsage().heapUsed;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** ms since the sampler started: marks the ends of the window that steady() uses. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Takes the baseline now (after setup, before the measured work). */
  markBaseline(): void {
    this.baseline = this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  stats(steadyWindow?: { from: number; to: number }): MemoryStats {
    const steady = steadyWindow ? steadyRss(this.samples, steadyWindow.from, steadyWindow.to) : NaN;
    return {
      baselineRssMiB: Math.round(this.baseline / MiB),
      peakRssMiB: Math.round(this.peakRss / MiB),
      peakHeapUsedMiB: Math.round(this.peakHeap / MiB),
      ...(Number.isFinite(steady) ? { steadyRssMiB: Math.round(steady / MiB) } : {}),
    };
  }

  private sample(): number {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
    this.samples.push({ t: this.now(), rss: m.rss });
    return m.rss;
  }
}
