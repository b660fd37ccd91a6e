import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobfleetApiError, JobfleetHttpClient, parseEventStream } from '../src/index.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('JobfleetHttpClient', () => {
  it('rejects a bad baseUrl', () => {
    expect(() => new JobfleetHttpClient({ baseUrl: 'localhost:3000' })).toThrow(/baseUrl/);
  });

  it('logs in, stores the token and sends it afterwards', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/api/v1/auth/login')
        return json(res, 200, { token: 'T1', refreshToken: 'R1', expiresIn: 900, user: { id: 'u1' } });
      if (req.url === '/api/v1/auth/me') return json(res, 200, { id: 'u1', email: 'a@b.c' });
      json(res, 404, { error: { code: 'NOT_FOUND', message: 'nope' } });
    };
    const c = new JobfleetHttpClient({ baseUrl: `${baseUrl}/api/v1/` });
    const r = await c.login({ email: 'a@b.c', password: 'pw' });
    expect(r.token).toBe('T1');
    expect(c.token).toBe('T1');
    const me = await c.me();
    expect(me.email).toBe('a@b.c');
    const last = seen.at(-1)!;
    expect(last.headers.authorization).toBe('Bearer T1');
    const login = seen.at(-2)!;
    expect(login.headers.authorization).toBeUndefined();
    expect(JSON.parse(login.body)).toEqual({ email: 'a@b.c', password: 'pw' });
  });

  it('sends the API key header and list filters as a query string', async () => {
    handler = (_req, _body, res) => json(res, 200, { jobs: [{ id: 'j1' }], nextCursor: null });
    const c = new JobfleetHttpClient({ baseUrl, apiKey: 'jf_abc' });
    const page = await c.jobs.list({ status: ['QUEUED', 'RUNNING'], type: 'reverse_string', limit: 5 });
    expect(page.jobs).toHaveLength(1);
    const last = seen.at(-1)!;
    expect(last.headers['x-api-key']).toBe('jf_abc');
    expect(last.url).toBe('/api/v1/jobs?status=QUEUED%2CRUNNING&type=reverse_string&limit=5');
  });

  it('encodes path segments', async () => {
    handler = (_req, _body, res) => json(res, 200, { id: 'x' });
    const c = new JobfleetHttpClient({ baseUrl });
    await c.jobs.get('../../etc/passwd');
    expect(seen.at(-1)!.url).toBe('/api/v1/jobs/..%2F..%2Fetc%2Fpasswd');
  });

  it('throws JobfleetApiError from the API error shape', async () => {
    handler = (_req, _body, res) =>
      json(res, 422, { error: { code: 'INVALID_PAYLOAD', message: 'The payload does not match', details: { issues: [] } } });
    const c = new JobfleetHttpClient({ baseUrl });
    const err = await c.jobs.submit({ type: 'reverse_string', payload: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobfleetApiError);
    expect(err).toMatchObject({
      status: 422,
      code: 'INVALID_PAYLOAD',
      message: 'The payload does not match',
      details: { issues: [] },
    });
  });

  it('falls back for non-JSON errors', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    const c = new JobfleetHttpClient({ baseUrl });
    const err = (await c.queues().catch((e: unknown) => e)) as JobfleetApiError;
    expect(err).toBeInstanceOf(JobfleetApiError);
    expect(err.status).toBe(502);
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.message).toContain('Bad gateway');
  });

  it('reports an unreachable server as NETWORK_ERROR', async () => {
    const c = new JobfleetHttpClient({ baseUrl: 'http://127.0.0.1:1' });
    const err = (await c.health().catch((e: unknown) => e)) as JobfleetApiError;
    expect(err.message).toMatch(/Cannot reach http:\/\/127.0.0.1:1/);
    expect(err).toBeInstanceOf(JobfleetApiError);
    expect(err.code).toBe('NETWORK_ERROR');
  });

  it('iterates server-sent events', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\nevent: state\ndata: {"status":"RUN');
      setTimeout(() => {
        res.write('NING"}\n\n');
        res.end('event: progress\r\ndata: 1\r\ndata: 2\r\nid: 7\r\n\r\ndata: plain text\n\n');
      }, 20);
    };
    const c = new JobfleetHttpClient({ baseUrl, token: 'T' });
    const events = [];
    for await (const e of c.jobs.events('abc')) events.push(e);
    expect(events).toEqual([
      { event: 'state', data: { status: 'RUNNING' } },
      { event: 'progress', data: '1\n2', id: '7' },
      { event: 'message', data: 'plain text', id: '7' },
    ]);
    expect(seen.at(-1)!.headers.accept).toBe('text/event-stream');
  });

  it('stops an event stream on abort', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: state\ndata: {}\n\n');
      // never ends on its own
    };
    const c = new JobfleetHttpClient({ baseUrl });
    const ac = new AbortController();
    const got = [];
    for await (const e of c.jobs.events('abc', { signal: ac.signal })) {
      got.push(e);
      ac.abort();
    }
    expect(got).toHaveLength(1);
  });
});

describe('parseEventStream', () => {
  it('handles chunks split anywhere, including inside CRLF', async () => {
    const text = 'event: a\r\ndata: {"x":1}\r\n\r\nevent: b\ndata: 2\n\n';
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const b of bytes) ctrl.enqueue(new Uint8Array([b]));
        ctrl.close();
      },
    });
    const out = [];
    for await (const e of parseEventStream(stream)) out.push(e);
    expect(out).toEqual([
      { event: 'a', data: { x: 1 } },
      { event: 'b', data: 2 },
    ]);
  });
});
