/**
 * The load generator's HTTP client: node:http over keep-alive connections (cheaper per request than
 * fetch, which matters when the generator shares two cores with the server and PostgreSQL), and an
 * event-stream reader for GET /api/v1/jobs/:id/events.
 */
import { Agent, request } from 'node:http';

export interface Reply {
  /** HTTP status; 0 when the request failed on the network or timed out. */
  status: number;
  body: any;
  error?: string;
}

/** Regular requests share a bounded pool of connections; event streams get their own (they hold one each). */
const requestAgent = new Agent({ keepAlive: true, maxSockets: 64 });
const streamAgent = new Agent({ keepAlive: true });

const REQUEST_TIMEOUT_MS = 15_000;

export function closeAgents(): void {
  requestAgent.destroy();
  streamAgent.destroy();
}

/** One JSON request. Never throws: failures come back as status 0 with the reason. */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      base + path,
      {
        method,
        agent: requestAgent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => resolve({ status: 0, body: null, error: err.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, body: null, error: err.code ?? err.message }));
    req.end(payload);
  });
}

export interface StreamOutcome {
  /** Status of the response (0: network error before it). */
  status: number;
  /** Milliseconds until the response headers arrived: the stream's "request latency". */
  openMs: number;
  /** Statuses carried by the `state` events, in order. */
  states: string[];
  /** True when the server ended the stream (rather than the client giving up). */
  endedByServer: boolean;
  error?: string;
}

/**
 * Follows one job's event stream until the server ends it. `onOpen` fires when the headers arrive, so the
 * caller can record the open latency without waiting for the job to finish.
 */
export function followEvents(
  base: string,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
  onOpen: (status: number, ms: number) => void,
): Promise<StreamOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const out: StreamOutcome = { status: 0, openMs: 0, states: [], endedByServer: false };
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(error ? { ...out, error } : out);
    };
    const req = request(base + path, { agent: streamAgent, headers: { ...headers, accept: 'text/event-stream' } }, (res) => {
      out.status = res.statusCode ?? 0;
      out.openMs = performance.now() - t0;
      onOpen(out.status, out.openMs);
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        // Events are separated by a blank line; only `state` events matter here.
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (!/^event: state$/m.test(block)) continue;
          const data = block.match(/^data: (.*)$/m)?.[1];
          if (data) out.states.push((JSON.parse(data) as { status: string }).status);
        }
      });
      res.on('end', () => {
        out.endedByServer = true;
        finish();
      });
      res.on('error', (err) => finish(err.message));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(`stream still open after ${timeoutMs} ms`);
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (out.status === 0) onOpen(0, performance.now() - t0);
      finish(err.code ?? err.message);
    });
    req.end();
  });
}
