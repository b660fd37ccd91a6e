/**
 * The whole product from the outside: `jobfleet start` on an empty folder (embedded database),
 * a user registering and submitting a job over HTTP with @jobfleet/client, a restart that keeps
 * everything, and a prompt graceful stop on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JobfleetApiError, JobfleetHttpClient, type ServerSentEvent } from '@jobfleet/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isOneLineError, runCli, startCli, type LongRunning } from './helpers.ts';

const URLS = /listening on (http:\/\/[^\s]+)/;

describe('jobfleet start (embedded database)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jobfleet-cli-e2e-'));
  let running: LongRunning | null = null;
  afterAll(async () => {
    await running?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API, runs jobs, keeps its data across restarts and stops on SIGTERM', async () => {
    const port = await freePort();
    const env = { JOBFLEET_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };

    // ---- first start: the admin password is printed once, with the URLs.
    running = startCli(['start'], env);
    const [, baseUrl] = (await running.waitForOutput(URLS, 180_000)) as unknown as [string, string];
    expect(baseUrl).toBe(`http://127.0.0.1:${port}`);
    await running.waitForOutput(/password:\s+\S+/, 10_000);
    const banner = running.output().stdout;
    expect(banner).toContain(`${baseUrl}/api/v1`);
    expect(banner).toContain(`${baseUrl}/docs`);
    expect(banner).toContain(`${baseUrl}/graphql`);
    const adminEmail = /email:\s+(\S+)/.exec(banner)?.[1];
    const adminPassword = /password:\s+(\S+)/.exec(banner)?.[1];
    expect(adminEmail).toBe('admin@jobfleet.local');
    expect(adminPassword).toBeTruthy();

    const api = new JobfleetHttpClient({ baseUrl });
    expect(await api.health()).toMatchObject({ status: 'ok' });
    expect((await api.ready()).ready).toBe(true);

    // ---- register, log in, submit, poll.
    const user = await api.register({ email: 'ada@example.com', password: 'a long enough password', name: 'Ada' });
    expect(user).toMatchObject({ email: 'ada@example.com', role: 'member', disabled: false });
    const session = await api.login({ email: 'ada@example.com', password: 'a long enough password' });
    expect(session.token).toBeTruthy();
    expect((await api.me()).id).toBe(user.id);
    expect((await api.jobTypes()).map((t) => t.name)).toContain('reverse_string');

    const submitted = await api.jobs.submit({ type: 'reverse_string', payload: 'hello world' });
    expect(submitted.type).toBe('reverse_string');
    const done = await api.jobs.wait(submitted.id, { timeoutMs: 60_000, intervalMs: 100 });
    expect(done.status).toBe('COMPLETED');
    expect(done.result).toBe('dlrow olleh');
    expect((await api.jobs.list({ status: 'COMPLETED' })).jobs.map((j) => j.id)).toContain(submitted.id);

    // The event stream of a finished job: its state, then the end of the stream.
    const events: ServerSentEvent[] = [];
    for await (const e of api.jobs.events(submitted.id)) events.push(e);
    expect(events[0]).toMatchObject({ event: 'state', data: { status: 'COMPLETED' } });

    // API errors arrive as JobfleetApiError with the API's code.
    const unknown = await api.jobs.submit({ type: 'no_such_type', payload: 1 }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(JobfleetApiError);
    expect((unknown as JobfleetApiError).status).toBeGreaterThanOrEqual(400);
    expect((unknown as JobfleetApiError).code).toBe('UNKNOWN_JOB_TYPE');
    const forbidden = await api.users.list().catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ status: 403 });

    // The printed admin password works.
    const admin = new JobfleetHttpClient({ baseUrl });
    await admin.login({ email: adminEmail!, password: adminPassword! });
    expect((await admin.users.list()).map((u) => u.email).sort()).toEqual(['ada@example.com', 'admin@jobfleet.local']);

    // The embedded database is single-process: operations from another process are refused clearly.
    const busy = await runCli(['jobs', 'list'], { JOBFLEET_DATA_DIR: dataDir });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      /the embedded database is in use by a running `jobfleet start` \(pid \d+\); use the HTTP API or stop it/,
    );
    expect(isOneLineError(busy.stderr)).toBe(true);

    // ---- graceful stop.
    let stopped = await running.stop('SIGTERM');
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(15_000);

    // ---- restart: same data, no second admin password.
    running = startCli(['start'], env);
    await running.waitForOutput(URLS, 180_000);
    const again = new JobfleetHttpClient({ baseUrl });
    await again.login({ email: 'ada@example.com', password: 'a long enough password' });
    const kept = await again.jobs.get(submitted.id);
    expect(kept).toMatchObject({ status: 'COMPLETED', result: 'dlrow olleh' });
    expect(running.output().stdout).not.toMatch(/password/i);
    stopped = await running.stop('SIGTERM');
    expect(stopped).toMatchObject({ code: 0, signal: null });
    running = null;

    // ---- stopped: the CLI can use the embedded database directly again.
    const after = await runCli(['jobs', 'get', submitted.id, '--json'], { JOBFLEET_DATA_DIR: dataDir });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ id: submitted.id, status: 'COMPLETED', result: 'dlrow olleh' });
  }, 600_000);
});
