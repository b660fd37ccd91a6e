import { describe, expect, it } from 'vitest';
import { renderMarkdown, summarizeDrain, type RunResults } from '../report.ts';
import { SYSTEMS } from '../systems/index.ts';
import { runDrain } from '../workloads/drain.ts';
import { percentile } from '../workloads/latency.ts';

// Keeps the harness from rotting: the quick drain's code path on the embedded database, no timings asserted.
describe('bench harness', () => {
  // PGlite's first open compiles WebAssembly and runs initdb: seconds on a busy machine, hence the long timeout.
  it('drains 500 no-op jobs on jobfleet-pglite and verifies every one completed', { timeout: 180_000 }, async () => {
    const factory = SYSTEMS['jobfleet-pglite'];
    expect(factory).toBeDefined();
    const r = await runDrain(factory!, { n: 500, concurrency: 24, timeoutMs: 50_000 });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.completed).toBe(500);
    expect(r.distinctRan).toBe(500);
    expect(r.duplicates).toBe(0);
    expect(r.remaining).toBe(0);
    expect(r.jobsPerSec).toBeGreaterThan(0);

    // The report renders from these results.
    const info = factory!();
    const results: RunResults = {
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      mode: 'quick',
      command: 'test',
      machine: { cpus: 2, cpuModel: 'test', memGiB: 1, node: process.versions.node, platform: 'test', loadAtStart: [0, 0, 0] },
      services: { postgres: 'n/a', redis: 'n/a' },
      params: { n: 500, reps: 1, latencySamples: 0, latencyReps: 0, concurrency: 24, interleaving: 'n/a' },
      systems: [{ id: info.id, label: info.label, backend: info.backend, version: info.version, settings: info.settings }],
      drain: [{ rep: 1, ...r }],
      latency: [],
    };
    expect(summarizeDrain(results)[0]?.ok).toBe(true);
    expect(renderMarkdown(results, 'x.json')).toContain('Embedded');
  });

  it('computes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 95)).toBe(7);
  });
});
