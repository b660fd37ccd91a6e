import { z } from 'zod';

export const backoffSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('exponential'),
    /** Delay before the first retry; doubles with each further attempt. */
    delayMs: z.number().int().min(0).max(86_400_000).default(1000),
    /** Upper bound on any single delay. */
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(3_600_000),
    /** Spread retries over [delay/2, delay] so that failures in a burst do not retry in lock-step. */
    jitter: z.boolean().default(true),
  }),
  z.object({
    type: z.literal('fixed'),
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000),
  }),
]);

export type BackoffPolicy = z.input<typeof backoffSchema>;
export type ResolvedBackoff = z.output<typeof backoffSchema>;

export const DEFAULT_BACKOFF: ResolvedBackoff = { type: 'exponential', delayMs: 1000, maxDelayMs: 3_600_000, jitter: true };

/** Milliseconds to wait before the next attempt, after `attempt` attempts have run. */
export function backoffDelay(policy: unknown, attempt: number, random = Math.random): number {
  const parsed = policy == null ? null : backoffSchema.safeParse(policy);
  const p: ResolvedBackoff = parsed?.success ? parsed.data : DEFAULT_BACKOFF;
  if (p.type === 'fixed') return p.delayMs;
  const exp = p.delayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(p.maxDelayMs, exp);
  if (!p.jitter) return Math.round(capped);
  return Math.round(capped / 2 + random() * (capped / 2));
}
