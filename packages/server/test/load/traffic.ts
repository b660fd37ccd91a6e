/**
 * Mixed API traffic at a fixed arrival rate (open loop: requests are started on schedule whether or not
 * earlier ones have answered, so a slow server shows up as latency rather than as fewer requests).
 *
 * Mix: 60% submissions, 25% status polls of submitted jobs, 10% listings (filters, cursors), 5% follows
 * (submit a job of 1–3 s and open STREAMS_PER_FOLLOW event streams on it, each of which must see it finish).
 */
import { followEvents, send, type Reply } from './client.ts';
import type { Interval, Kind, Recorder } from './stats.ts';

export const MIX: Record<Kind, number> = { submit: 0.6, poll: 0.25, list: 0.1, follow: 0.05 };
export const STREAMS_PER_FOLLOW = 2;

/** Beyond this many unanswered requests the generator reports an error instead of piling up more. */
const MAX_IN_FLIGHT = 2000;
/** Polls pick among the most recent submissions: those are the jobs still changing state. */
const RECENT_IDS = 2000;
const TICK_MS = 5;

export interface Credentials {
  base: string;
  apiKey: string;
  token: string;
}

export class Traffic {
  /** Ids of every job a submission created (201): all must reach COMPLETED. */
  readonly submitted: string[] = [];
  readonly streams = { opened: 0, sawCompleted: 0 };
  private readonly recent: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private issued = 0;
  private listCursor: { query: string; cursor: string } | null = null;
  private listVariant = 0;

  /** Operations started per second: a follow is one submission plus its streams, so fewer than requests. */
  readonly opsPerSec: number;

  constructor(
    private readonly creds: Credentials,
    private readonly recorder: Recorder,
    /** HTTP requests per second (stream openings included) to aim at; 0 for a closed-loop calibration. */
    readonly requestsPerSec: number,
  ) {
    this.opsPerSec = requestsPerSec / (1 + MIX.follow * STREAMS_PER_FOLLOW);
  }

  private get keyHeaders() {
    return { 'x-api-key': this.creds.apiKey };
  }
  private get tokenHeaders() {
    return { authorization: `Bearer ${this.creds.token}` };
  }

  /** Starts issuing requests; they go into the recorder's current interval. */
  start(): void {
    const t0 = performance.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) * this.opsPerSec) / 1000);
      while (this.issued < due) {
        this.issued++;
        this.launch();
      }
    }, TICK_MS);
  }

  /** Stops issuing and waits for every request and stream already started. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /**
   * Closed loop, to find the maximum: `connections` loops each start their next operation of the same mix
   * as soon as the previous one answered, for `seconds`. Returns the HTTP requests answered per second
   * (stream openings included), the unit `requestsPerSec` takes. Everything this traffic costs the
   * machine (the jobs' execution in the service, event streams, this generator) is inside the figure.
   */
  async saturate(connections: number, seconds: number, label = 'calibration'): Promise<number> {
    const interval = this.recorder.begin(label);
    const until = performance.now() + seconds * 1000;
    const loop = async () => {
      while (performance.now() < until) await this.operate(interval);
    };
    await Promise.all(Array.from({ length: connections }, loop));
    this.recorder.end();
    return interval.latencies.length / ((interval.endedAt - interval.startedAt) / 1000);
  }

  private launch(): void {
    const interval = this.recorder.current()!;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.recorder.error(interval, `client backlog: ${this.inFlight} requests unanswered`);
      return;
    }
    this.track(this.operate(interval));
  }

  /** One operation of the mix, timed into `interval`. */
  private async operate(interval: Interval): Promise<void> {
    const kind = this.pick();
    this.inFlight++;
    try {
      if (kind === 'submit') await this.submit(interval);
      else if (kind === 'poll') await this.poll(interval);
      else if (kind === 'list') await this.list(interval);
      else await this.follow(interval);
    } finally {
      this.inFlight--;
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => {
      const interval = this.recorder.current()!;
      this.recorder.error(interval, `generator: ${(err as Error).message}`);
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private pick(): Kind {
    let r = Math.random();
    for (const [kind, share] of Object.entries(MIX) as [Kind, number][]) {
      if (r < share) return kind === 'poll' && this.recent.length === 0 ? 'submit' : kind;
      r -= share;
    }
    return 'submit';
  }

  /** Times one request and records it; returns the reply when it was the expected status. */
  private async timed(interval: Interval, kind: Kind, expect: number, call: () => Promise<Reply>): Promise<Reply | null> {
    const t = performance.now();
    const r = await call();
    const ms = performance.now() - t;
    const ok = r.status === expect;
    this.recorder.record(interval, kind, ms, ok ? undefined : `${r.status} ${r.error ?? JSON.stringify(r.body).slice(0, 200)}`);
    return ok ? r : null;
  }

  private async enqueue(interval: Interval, kind: Kind, ms: number): Promise<string | null> {
    const r = await this.timed(interval, kind, 201, () =>
      send(this.creds.base, 'POST', '/api/v1/jobs', this.keyHeaders, { type: 'sleep', payload: { ms } }),
    );
    if (!r) return null;
    const id = r.body.id as string;
    this.submitted.push(id);
    return id;
  }

  /** A short job: 5–25 ms of (asynchronous) work. */
  private async submit(interval: Interval): Promise<void> {
    const id = await this.enqueue(interval, 'submit', 5 + Math.floor(Math.random() * 21));
    if (!id) return;
    this.recent.push(id);
    if (this.recent.length > RECENT_IDS) this.recent.shift();
  }

  private async poll(interval: Interval): Promise<void> {
    const id = this.recent[Math.floor(Math.random() * this.recent.length)]!;
    const r = await this.timed(interval, 'poll', 200, () => send(this.creds.base, 'GET', `/api/v1/jobs/${id}`, this.keyHeaders));
    if (r && r.body.id !== id) this.recorder.error(interval, `poll: asked for ${id}, got ${r.body.id}`);
  }

  /** Listings rotate through filters; every fifth continues the previous page with its cursor. */
  private async list(interval: Interval): Promise<void> {
    const variant = this.listVariant++ % 5;
    const recentSince = new Date(Date.now() - 10_000).toISOString();
    const queries = [
      'status=COMPLETED&limit=50',
      'type=sleep&limit=20',
      'status=QUEUED,RUNNING&limit=20',
      `createdAfter=${encodeURIComponent(recentSince)}&limit=100`,
    ];
    const query =
      variant === 4 && this.listCursor
        ? `${this.listCursor.query}&cursor=${this.listCursor.cursor}`
        : queries[variant % queries.length]!;
    const r = await this.timed(interval, 'list', 200, () =>
      send(this.creds.base, 'GET', `/api/v1/jobs?${query}`, this.tokenHeaders),
    );
    if (!r) return;
    if (!Array.isArray(r.body.jobs)) return this.recorder.error(interval, `list: no jobs array for ?${query}`);
    const base = query.replace(/&cursor=[^&]*$/, '');
    this.listCursor = r.body.nextCursor ? { query: base, cursor: r.body.nextCursor as string } : null;
  }

  /** A job of 1–3 s, followed by several event streams at once; each must end with COMPLETED. */
  private async follow(interval: Interval): Promise<void> {
    const ms = 1000 + Math.floor(Math.random() * 2001);
    const id = await this.enqueue(interval, 'follow', ms);
    if (!id) return;
    for (let k = 0; k < STREAMS_PER_FOLLOW; k++) {
      this.streams.opened++;
      this.track(
        followEvents(this.creds.base, `/api/v1/jobs/${id}/events`, this.tokenHeaders, ms + 30_000, (status, openMs) =>
          this.recorder.record(interval, 'follow', openMs, status === 200 ? undefined : `stream answered ${status}`),
        ).then((s) => {
          const last = s.states[s.states.length - 1];
          if (s.status !== 200) return; // recorded when it answered
          if (s.error || !s.endedByServer || last !== 'COMPLETED')
            this.recorder.error(
              interval,
              `stream of ${id}: states ${s.states.join('>') || 'none'}${s.error ? `, ${s.error}` : ''}`,
            );
          else this.streams.sawCompleted++;
        }),
      );
    }
  }
}
