import { z } from 'zod';
import { backoffSchema } from './backoff.ts';
import { InvalidOptionError } from './errors.ts';

const QUEUE_NAME = /^[A-Za-z0-9][\w.:-]{0,63}$/;
export const queueNameSchema = z
  .string()
  .regex(QUEUE_NAME, 'a queue name is 1–64 characters: letters, digits, _ . : - (starting with a letter or digit)');

export const enqueueOptionsSchema = z
  .object({
    queue: queueNameSchema.optional(),
    /** Higher runs first; default from the job type, else 0. */
    priority: z.number().int().min(-1000).max(1000).optional(),
    runAt: z.coerce.date().optional(),
    /** Milliseconds from now. */
    delay: z
      .number()
      .int()
      .min(0)
      .max(366 * 86_400_000)
      .optional(),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    backoff: backoffSchema.optional(),
    /** Milliseconds per attempt. */
    timeout: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400_000)
      .optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    ownerId: z.string().min(1).max(128).optional(),
    batchId: z.uuid().optional(),
    scheduleId: z.uuid().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((o) => !(o.runAt && o.delay !== undefined), { message: 'give either runAt or delay, not both' })
  .refine((o) => !o.runAt || !Number.isNaN(o.runAt.getTime()), { message: 'runAt is not a valid date' });

export type EnqueueOptions = z.input<typeof enqueueOptionsSchema>;
export type ParsedEnqueueOptions = z.output<typeof enqueueOptionsSchema>;

export function parseEnqueueOptions(options: unknown): ParsedEnqueueOptions {
  const r = enqueueOptionsSchema.safeParse(options ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new InvalidOptionError(
      `Invalid enqueue options: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      { issues },
    );
  }
  return r.data;
}
