import type { JobEvent, JobEventKind } from './events.ts';
import type { JobStatus } from './job.ts';

/**
 * How job events travel in NOTIFY payloads (at most 8000 bytes each; `maxBytes` leaves room).
 *
 * - `{o, e: [[kind, jobId, type, queue, ownerId, attempt, progress, message, status, at], …]}`: one
 *   array per event; any flush that holds progress or log events.
 * - `{o, g: [[kind, type, queue, ownerId, status, at, [jobId…], [attempt…]], …]}`: runs of state events
 *   that share everything but the job and attempt (a claim or an outcome batch), a third of the bytes
 *   of the first form. Every process hears every payload, so bytes count once per listener.
 *
 * Order is kept: groups are consecutive runs. A receiver of an older version ignores `g`.
 */
type Single = [
  string,
  string,
  string,
  string,
  string | null,
  number | undefined,
  number | null | undefined,
  string | null | undefined,
  string,
  string,
];
type Group = [string, string, string, string | null, string, string, string[], (number | null)[]];

const MAX_MESSAGE = 500;

export function encodeEvents(origin: string, events: JobEvent[], maxBytes: number): string[] {
  const groupable = events.every((e) => e.kind === 'state' && e.progress == null && e.message == null);
  return groupable ? encodeGroups(origin, events, maxBytes) : encodeSingles(origin, events, maxBytes);
}

function encodeSingles(origin: string, events: JobEvent[], maxBytes: number): string[] {
  const chunks: string[] = [];
  const envelope = Buffer.byteLength(JSON.stringify({ o: origin, e: [] }));
  let current: Single[] = [];
  let size = envelope;
  for (const e of events) {
    const c: Single = [
      e.kind,
      e.jobId,
      e.type,
      e.queue,
      e.ownerId,
      e.attempt,
      e.progress,
      e.message?.slice(0, MAX_MESSAGE),
      e.status,
      e.at,
    ];
    // Bytes, not characters: the limit is PostgreSQL's, and messages may be any text.
    const len = Buffer.byteLength(JSON.stringify(c)) + 1;
    if (size + len > maxBytes && current.length > 0) {
      chunks.push(JSON.stringify({ o: origin, e: current }));
      current = [];
      size = envelope;
    }
    current.push(c);
    size += len;
  }
  if (current.length) chunks.push(JSON.stringify({ o: origin, e: current }));
  return chunks;
}

function encodeGroups(origin: string, events: JobEvent[], maxBytes: number): string[] {
  const chunks: string[] = [];
  const envelope = Buffer.byteLength(JSON.stringify({ o: origin, g: [] }));
  let groups: Group[] = [];
  let group: Group | null = null;
  let size = envelope;
  for (const e of events) {
    const fits =
      group !== null &&
      group[1] === e.type &&
      group[2] === e.queue &&
      group[3] === e.ownerId &&
      group[4] === e.status &&
      group[5] === e.at;
    // A job id and an attempt, quoted and separated.
    const entry = e.jobId.length + 4 + (e.attempt === undefined ? 4 : String(e.attempt).length);
    // The run's fields, `,[],[]` and a comma.
    const header = fits ? 0 : Buffer.byteLength(JSON.stringify([e.kind, e.type, e.queue, e.ownerId, e.status, e.at])) + 8;
    if (size + entry + header > maxBytes && groups.length > 0) {
      chunks.push(JSON.stringify({ o: origin, g: groups }));
      groups = [];
      group = null;
      size = envelope;
    }
    if (!group || !fits) {
      group = [e.kind, e.type, e.queue, e.ownerId, e.status, e.at, [], []];
      groups.push(group);
      size += header || Buffer.byteLength(JSON.stringify([e.kind, e.type, e.queue, e.ownerId, e.status, e.at])) + 8;
    }
    group[6].push(e.jobId);
    group[7].push(e.attempt ?? null);
    size += entry;
  }
  if (groups.length) chunks.push(JSON.stringify({ o: origin, g: groups }));
  return chunks;
}

/** The sender and its events, or null for a payload that is not ours (or is garbled). */
export function decodeEvents(payload: string): { origin: string; events: JobEvent[] } | null {
  let msg: { o?: unknown; e?: unknown; g?: unknown };
  try {
    msg = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null || typeof msg.o !== 'string') return null;
  const events: JobEvent[] = [];
  if (Array.isArray(msg.e)) {
    for (const [kind, jobId, type, queue, ownerId, attempt, progress, message, status, at] of msg.e as Single[]) {
      events.push({
        kind: kind as JobEventKind,
        jobId,
        type,
        queue,
        ownerId,
        attempt,
        progress,
        message,
        status: status as JobStatus,
        at,
      });
    }
  }
  if (Array.isArray(msg.g)) {
    for (const [kind, type, queue, ownerId, status, at, ids, attempts] of msg.g as Group[]) {
      if (!Array.isArray(ids)) continue;
      for (let i = 0; i < ids.length; i++) {
        const attempt = Array.isArray(attempts) ? attempts[i] : null;
        events.push({
          kind: kind as JobEventKind,
          jobId: ids[i] as string,
          type,
          queue,
          ownerId,
          ...(attempt == null ? {} : { attempt }),
          status: status as JobStatus,
          at,
        });
      }
    }
  }
  return { origin: msg.o, events };
}
