import { z } from 'zod';
import { defineJob, PermanentJobError } from '@jobfleet/core';

/** Does nothing: for benchmarks and tests of the engine's own overhead. */
export const noop = defineJob({
  name: 'noop',
  description: 'Does nothing and returns null.',
  handler: () => null,
});

/** Waits for the given milliseconds (honouring cancellation and timeouts): I/O-bound work. */
export const sleep = defineJob({
  name: 'sleep',
  description: 'Wait for `ms` milliseconds, then return how long it waited.',
  schema: z.object({ ms: z.number().int().min(0).max(3_600_000) }),
  handler: ({ ms }, ctx) =>
    new Promise<{ sleptMs: number }>((resolve, reject) => {
      const t = setTimeout(() => resolve({ sleptMs: ms }), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason);
      });
    }),
});

/** Fails on purpose: `times` failures before it succeeds; `permanent` to skip retries. */
export const flaky = defineJob({
  name: 'flaky',
  description: 'Fail the first `times` attempts, then succeed; `permanent: true` fails without retrying.',
  schema: z.object({ times: z.number().int().min(0).max(100).default(1), permanent: z.boolean().default(false) }),
  backoff: { type: 'exponential', delayMs: 200, maxDelayMs: 5000 },
  maxAttempts: 3,
  handler: ({ times, permanent }, ctx) => {
    if (permanent) throw new PermanentJobError('This job fails permanently, as asked.');
    if (ctx.attempt <= times) throw new Error(`Failing attempt ${ctx.attempt} of ${times}, as asked.`);
    return { succeededOnAttempt: ctx.attempt };
  },
});
