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

/** Jobs that changed state together (a claim, an outcome batch): rows as they came, one status or each its own. */
export interface StateRun {
  rows: readonly StateRow[];
  /** The status of every row; without it, each row's own. */
  status: JobStatus | undefined;
  at: string;
}

/** What a state event is made of, as queries return it. */
export interface StateRow {
  id: string;
  type: string;
  queue: string;
  owner_id: string | null;
  status?: JobStatus;
  attempts?: number;
}

/** What a relay flush holds, in order: events, or runs of state changes not yet made into events. */
export type RelayItem = JobEvent[] | StateRun;

const isRun = (item: RelayItem): item is StateRun => !Array.isArray(item);

export function encodeEvents(origin: string, events: JobEvent[], maxBytes: number): string[] {
  return encodeItems(origin, [events], maxBytes);
}

/**
 * Encodes a flush. State runs are read straight from their rows: when nobody in this process listens,
 * a claim's or an outcome batch's rows never become event objects (two objects per job, each kept until
 * the next flush, up to 100 ms under load).
 */
export function encodeItems(origin: string, items: readonly RelayItem[], maxBytes: number): string[] {
  const groupable = items.every(
    (it) => isRun(it) || it.every((e) => e.kind === 'state' && e.progress == null && e.message == null),
  );
  if (!groupable) {
    const singles = new SingleEncoder(origin, maxBytes);
    for (const it of items) for (const e of isRun(it) ? runEvents(it) : it) singles.add(e);
    return singles.finish();
  }
  const groups = new GroupEncoder(origin, maxBytes);
  for (const it of items) {
    if (isRun(it)) {
      for (const r of it.rows)
        groups.add('state', r.id, r.type, r.queue, r.owner_id, (it.status ?? r.status) as string, it.at, r.attempts);
    } else {
      for (const e of it) groups.add(e.kind, e.jobId, e.type, e.queue, e.ownerId, e.status, e.at, e.attempt);
    }
  }
  return groups.finish();
}

/** The events of a state run (for local listeners, and for the rare flush that mixes in progress or logs). */
export function runEvents(run: StateRun): JobEvent[] {
  return run.rows.map((r) => ({
    kind: 'state' as const,
    jobId: r.id,
    type: r.type,
    queue: r.queue,
    status: (run.status ?? r.status) as JobStatus,
    ownerId: r.owner_id,
    attempt: r.attempts,
    at: run.at,
  }));
}

class SingleEncoder {
  private readonly chunks: string[] = [];
  private readonly envelope: number;
  private current: Single[] = [];
  private size: number;

  constructor(
    private readonly origin: string,
    private readonly maxBytes: number,
  ) {
    this.envelope = this.size = Buffer.byteLength(JSON.stringify({ o: origin, e: [] }));
  }

  add(e: JobEvent): void {
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
    if (this.size + len > this.maxBytes && this.current.length > 0) {
      this.chunks.push(JSON.stringify({ o: this.origin, e: this.current }));
      this.current = [];
      this.size = this.envelope;
    }
    this.current.push(c);
    this.size += len;
  }

  finish(): string[] {
    if (this.current.length) this.chunks.push(JSON.stringify({ o: this.origin, e: this.current }));
    return this.chunks;
  }
}

class GroupEncoder {
  private readonly chunks: string[] = [];
  private readonly envelope: number;
  private groups: Group[] = [];
  private group: Group | null = null;
  private size: number;

  constructor(
    private readonly origin: string,
    private readonly maxBytes: number,
  ) {
    this.envelope = this.size = Buffer.byteLength(JSON.stringify({ o: origin, g: [] }));
  }

  add(
    kind: string,
    jobId: string,
    type: string,
    queue: string,
    ownerId: string | null,
    status: string,
    at: string,
    attempt: number | undefined,
  ): void {
    let group = this.group;
    const fits =
      group !== null &&
      group[0] === kind &&
      group[1] === type &&
      group[2] === queue &&
      group[3] === ownerId &&
      group[4] === status &&
      group[5] === at;
    // A job id and an attempt, quoted and separated.
    const entry = jobId.length + 4 + (attempt === undefined ? 4 : String(attempt).length);
    // The run's fields, `,[],[]` and a comma.
    const header = fits ? 0 : Buffer.byteLength(JSON.stringify([kind, type, queue, ownerId, status, at])) + 8;
    if (this.size + entry + header > this.maxBytes && this.groups.length > 0) {
      this.chunks.push(JSON.stringify({ o: this.origin, g: this.groups }));
      this.groups = [];
      group = null;
      this.size = this.envelope;
    }
    if (!group || !fits) {
      group = [kind, type, queue, ownerId, status, at, [], []];
      this.groups.push(group);
      this.size += header || Buffer.byteLength(JSON.stringify([kind, type, queue, ownerId, status, at])) + 8;
    }
    this.group = group;
    group[6].push(jobId);
    group[7].push(attempt ?? null);
    this.size += entry;
  }

  finish(): string[] {
    if (this.groups.length) this.chunks.push(JSON.stringify({ o: this.origin, g: this.groups }));
    return this.chunks;
  }
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
