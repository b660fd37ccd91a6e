import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Enqueues `rate` jobs per second in ten small bulk calls a second, numbering them from 0, until
 * going() turns false or `limit` jobs are in; returns how many. The memory workload's steady load.
 */
export async function feed(
  rate: number,
  going: () => boolean,
  enqueue: (from: number, n: number) => Promise<void>,
  limit: number,
): Promise<number> {
  const perTick = Math.max(1, Math.round(rate / 10));
  const t0 = Date.now();
  let sent = 0;
  for (let tick = 0; going() && sent < limit; tick++) {
    const n = Math.min(perTick, limit - sent);
    await enqueue(sent, n);
    sent += n;
    // Ticks keep to the wall clock, so a slow enqueue call does not lower the rate.
    const wait = t0 + (tick + 1) * 100 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  return sent;
}
