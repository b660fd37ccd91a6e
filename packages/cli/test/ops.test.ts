/**
 * Operations on a real PostgreSQL through DATABASE_URL: migrate, users, enqueue, jobs, job types,
 * and the worker role processing what was enqueued. Each command is the real CLI in a child process.
 */
import { Jobfleet, RabbitTopology } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '@jobfleet/core/testing';
import { AMQP_URL, amqpAvailable, deleteBrokerTopology } from '@jobfleet/core/testing/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JobfleetHttpClient } from '@jobfleet/client';
import { freePort, isOneLineError, runCli, startCli } from './helpers.ts';

const FIXTURE_JOBS = fileURLToPath(new URL('./fixtures/jobs/', import.meta.url));

/** Child processes of pid that run the CLI (Linux /proc; tsx may have an esbuild helper as well). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('bin.ts');
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(pgAvailable)('jobfleet operations on PostgreSQL', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let fleet: Jobfleet | null = null;

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_cli');
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await fleet?.close().catch(() => {});
    await db?.drop();
  });

  const ok = async (args: string[]) => {
    const r = await runCli(args, env);
    if (r.code !== 0) throw new Error(`jobfleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const okJson = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '--json'])) as T;

  it('migrates, then reports the database up to date', async () => {
    expect(await ok(['migrate'])).toMatch(/Applied \d+ migrations?: core\/0001_jobs/);
    expect(await ok(['migrate'])).toMatch(/up to date/);
    const again = await okJson<{ applied: string[] }>(['migrate']);
    expect(again.applied).toEqual([]);
  }, 120_000);

  it('shows and switches dispatch: rabbitmq queues the backlog in the outbox, postgres empties it', async () => {
    expect(await okJson(['dispatch'])).toEqual({ dispatch: 'postgres', outbox: { enabled: false, due: 0, later: 0 } });
    // Nothing to republish while workers claim from PostgreSQL: refused, nothing written.
    const off = await runCli(['dispatch', 'republish'], env);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/RabbitMQ dispatch is off for this database/);
    expect(isOneLineError(off.stderr)).toBe(true);
    await ok(['enqueue', 'noop', 'null']);
    expect(await ok(['dispatch', 'rabbitmq'])).toMatch(/RabbitMQ dispatch is on: 1 waiting job\(s\) queued/);
    expect(await ok(['dispatch', 'status'])).toMatch(/dispatch: rabbitmq \(outbox: 1 due, 0 later\)/);
    // Its message still waits in the outbox: nothing to add. Once it is gone (published, then lost), one.
    expect(await okJson(['dispatch', 'republish'])).toMatchObject({ republished: 0, outbox: { due: 1 } });
    fleet ??= await Jobfleet.open({ databaseUrl: db.url, migrate: false });
    await fleet.db.query(`DELETE FROM jobfleet.dispatch_outbox`);
    expect(await ok(['dispatch', 'republish'])).toMatch(/^1 waiting job\(s\) queued for publishing again/);
    expect(await ok(['dispatch', 'status'])).toMatch(/dispatch: rabbitmq \(outbox: 1 due, 0 later\)/);
    expect(await ok(['dispatch', 'postgres'])).toMatch(/PostgreSQL dispatch is on/);
    expect(await okJson(['dispatch'])).toEqual({ dispatch: 'postgres', outbox: { enabled: false, due: 0, later: 0 } });
    const bad = await runCli(['dispatch', 'kafka'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown dispatch action "kafka": use status, rabbitmq, postgres or republish/);
    // A hostile action is clipped and kept to one line.
    const hostile = await runCli(['dispatch', `x\u001b[31m${'y'.repeat(5000)}`], env);
    expect(hostile.code).toBe(2);
    expect(isOneLineError(hostile.stderr)).toBe(true);
    expect(hostile.stderr.length).toBeLessThan(400);
  }, 120_000);

  it('creates, lists, disables and enables users', async () => {
    const created = await okJson<{ id: string; email: string; role: string }>([
      'user',
      'create',
      '--email',
      'Alice@Example.com',
      '--password',
      'correct horse battery staple',
      '--name',
      'Alice',
      '--role',
      'admin',
    ]);
    expect(created).toMatchObject({ email: 'alice@example.com', role: 'admin' });
    const bob = await runCli(['user', 'create', '--email', 'bob@example.com', '--password-stdin'], env, {
      input: 'another long password\n',
    });
    expect(bob.stdout, bob.stderr).toMatch(/Created member bob@example.com/);

    const dup = await runCli(['user', 'create', '--email', 'bob@example.com', '--password', 'another long password'], env);
    expect(dup.code).toBe(1);
    expect(isOneLineError(dup.stderr)).toBe(true);

    const table = await ok(['user', 'list']);
    expect(table).toMatch(/^ID\s+EMAIL\s+NAME\s+ROLE\s+STATUS/);
    expect(table).toMatch(/alice@example\.com\s+Alice\s+admin\s+active/);

    expect(await ok(['user', 'disable', 'bob@example.com'])).toMatch(/Disabled:\s+bob@example.com/);
    const users = await okJson<{ email: string; disabled: boolean }[]>(['user', 'list']);
    expect(users.find((u) => u.email === 'bob@example.com')?.disabled).toBe(true);
    expect(users.find((u) => u.email === 'alice@example.com')?.disabled).toBe(false);
    await ok(['user', 'enable', 'bob@example.com']);
    expect(await ok(['user', 'disable', created.id, '--json'])).toContain('"disabled": true');
    await ok(['user', 'enable', created.id]);
    expect((await okJson<{ email: string; disabled: boolean }[]>(['user', 'list'])).every((u) => !u.disabled)).toBe(true);

    const missing = await runCli(['user', 'disable', 'nobody@example.com'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No user with email/);
  }, 180_000);

  it('enqueues, lists, gets, cancels and retries jobs; a worker runs them', async () => {
    const job = await okJson<{ id: string; status: string; type: string }>(['enqueue', 'reverse_string', '"hello world"']);
    expect(job).toMatchObject({ type: 'reverse_string', status: 'QUEUED' });

    const later = await okJson<{ id: string; status: string; priority: number }>([
      'enqueue',
      'fibonacci_calc',
      '10',
      '--delay',
      '1h',
      '--priority',
      '5',
      '--idempotency-key',
      'fib-10',
      '--max-attempts',
      '2',
    ]);
    expect(later).toMatchObject({ status: 'SCHEDULED', priority: 5 });
    expect(await ok(['enqueue', 'fibonacci_calc', '10', '--idempotency-key', 'fib-10'])).toMatch(
      /^Already enqueued fibonacci_calc job/,
    );

    const listing = await ok(['jobs', 'list', '--type', 'reverse_string']);
    expect(listing).toContain(job.id);
    expect(listing).not.toContain(later.id);
    const scheduled = await okJson<{ jobs: { id: string }[] }>(['jobs', 'list', '--status', 'scheduled', '--limit', '5']);
    expect(scheduled.jobs.map((j) => j.id)).toEqual([later.id]);

    expect(await ok(['jobs', 'get', job.id])).toMatch(/status:\s+QUEUED/);
    expect(await ok(['jobs', 'cancel', job.id])).toMatch(/Cancelled job/);
    expect((await okJson<{ status: string }>(['jobs', 'get', job.id])).status).toBe('CANCELLED');
    const cancelAgain = await runCli(['jobs', 'cancel', job.id], env);
    expect(cancelAgain.code).toBe(1);
    expect(cancelAgain.stderr).toMatch(/is CANCELLED; it cannot be cancelled/);
    expect(await ok(['jobs', 'retry', job.id])).toMatch(/will run again \(QUEUED\)/);

    const types = await ok(['job-types']);
    expect(types).toMatch(/reverse_string\s+default\s+3\s+0\s+Reverse a string/);

    // The worker role picks the retried job up.
    const worker = startCli(['worker', '--queues', 'default', '--concurrency', '4'], env);
    try {
      await worker.waitForOutput(/Jobfleet worker running/);
      fleet = await Jobfleet.open({ databaseUrl: db.url, migrate: false });
      const done = await waitFor(
        async () => {
          const j = await fleet!.client.get(job.id);
          return j && j.status === 'COMPLETED' ? j : null;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the worker to complete the job' },
      );
      expect(done!.result).toBe('dlrow olleh');
      const published = await okJson<{ name: string; workers: number }[]>(['job-types']);
      expect(published.find((t) => t.name === 'reverse_string')?.workers).toBe(1);
    } finally {
      const stopped = await worker.stop('SIGTERM');
      expect(stopped.code).toBe(0);
    }

    // A worker with job types of its own (--jobs): another process can enqueue them by name,
    // validated against what the worker published, without having their code.
    const custom = startCli(['worker', '--jobs', FIXTURE_JOBS, '--queues', 'loud'], env);
    try {
      await custom.waitForOutput(/Jobfleet worker running/);
      const shout = await okJson<{ id: string; queue: string }>(['enqueue', 'shout', '"hi"']);
      expect(shout.queue).toBe('loud');
      const shouted = await waitFor(
        async () => {
          const j = await fleet!.client.get(shout.id);
          return j && j.status === 'COMPLETED' ? j : null;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the custom worker to complete the job' },
      );
      expect(shouted!.result).toBe('HI!');
    } finally {
      expect((await custom.stop('SIGTERM')).code).toBe(0);
    }
    expect(await ok(['jobs', 'get', job.id])).toMatch(/result:\s+"dlrow olleh"/);
  }, 240_000);

  it('runs the api role on its own, sharing the database', async () => {
    const port = await freePort();
    const api = startCli(['api', '--port', String(port)], env);
    try {
      const [, baseUrl] = (await api.waitForOutput(/listening on (http:\/\/\S+)/, 120_000)) as unknown as [string, string];
      const client = new JobfleetHttpClient({ baseUrl });
      expect(await client.health()).toMatchObject({ status: 'ok' });
      await client.login({ email: 'alice@example.com', password: 'correct horse battery staple' });
      // Jobs enqueued by the CLI earlier are visible through the API.
      expect((await client.jobs.list({ type: 'reverse_string' })).jobs.length).toBeGreaterThan(0);
      // Users already exist: no admin account is generated.
      expect(api.output().stdout).not.toMatch(/password/i);
    } finally {
      expect((await api.stop('SIGTERM')).code).toBe(0);
    }
  }, 180_000);

  it('runs the api role as two processes under one supervisor: a killed copy is replaced, SIGTERM stops all', async () => {
    const port = await freePort();
    const api = startCli(['api', '--port', String(port), '--processes', '2'], env);
    const listening = () => api.output().stdout.match(/listening on http:\/\/\S+/g)?.length ?? 0;
    const until = async (what: () => boolean, label: string) => {
      const deadline = Date.now() + 120_000;
      while (!what()) {
        if (Date.now() > deadline || api.child.exitCode !== null) throw new Error(`${label}: ${JSON.stringify(api.output())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until(() => listening() === 2, 'two copies listening');
      const copies = childrenOf(api.child.pid as number);
      expect(copies).toHaveLength(2);
      const client = new JobfleetHttpClient({ baseUrl: `http://127.0.0.1:${port}` });
      expect(await client.health()).toMatchObject({ status: 'ok' });
      process.kill(copies[0] as number, 'SIGKILL');
      await until(() => listening() === 3, 'a replacement listening');
      expect(api.output().stderr).toMatch(/ended \(SIGKILL\); starting another/);
      expect(childrenOf(api.child.pid as number)).toHaveLength(2);
      for (let i = 0; i < 4; i++) expect(await client.health()).toMatchObject({ status: 'ok' });
      const after = childrenOf(api.child.pid as number);
      const stopped = await api.stop('SIGTERM');
      expect(stopped.code).toBe(0);
      for (const pid of after) expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      if (api.child.exitCode === null) await api.stop('SIGKILL');
    }
  }, 240_000);

  it('refuses bad input with one line on stderr', async () => {
    const cases: [string[], number, RegExp][] = [
      [['enqueue', 'no_such_type', '{}'], 1, /No job type named "no_such_type"/],
      [['enqueue', 'reverse_string', '42'], 1, /payload does not match job type "reverse_string"/],
      [['enqueue', 'Fibonacci', '{"iterations":"many"}'], 1, /iterations/],
      [['jobs', 'get', '01a20c50-39c0-775b-92f1-58e6dcdf629e'], 1, /No job with id/],
      [['jobs', 'retry', '01a20c50-39c0-775b-92f1-58e6dcdf629e'], 1, /No job with id/],
      [['jobs', 'list', '--queue', `x'; DROP TABLE jobfleet.jobs; --`], 0, /No jobs match/],
      [['enqueue', '\u001b[31mevil\ntype\u0007', '{}'], 1, /No job type named " ?evil type ?"/],
      [['user', 'create', '--email', 'not-an-email', '--password', 'long enough password'], 1, /email/i],
      [['user', 'create', '--email', 'carol@example.com', '--password', 'short'], 1, /password/i],
      [['worker', '--concurrency', 'abc'], 2, /--concurrency must be a whole number/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runCli(args, env);
      expect(r.code, `jobfleet ${args.join(' ')}: ${r.stderr}`).toBe(code);
      if (code === 0) {
        expect(r.stdout).toMatch(re);
      } else {
        expect(r.stderr).toMatch(re);
        expect(isOneLineError(r.stderr), r.stderr).toBe(true);
      }
    }
    // The injection attempt above was only a filter value.
    expect((await okJson<{ jobs: unknown[] }>(['jobs', 'list'])).jobs.length).toBeGreaterThan(0);
    const badUrl = await runCli(['jobs', 'list'], { DATABASE_URL: db.url.replace(/\/[^/]+$/, '/jobfleet_no_such_db') });
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/does not exist/);
    expect(isOneLineError(badUrl.stderr)).toBe(true);
    const refused = await runCli(['jobs', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot connect to the database/);
  }, 180_000);

  it.runIf(amqpAvailable)(
    'runs a worker with RabbitMQ dispatch: jobs submitted by the CLI reach it through the broker',
    async () => {
      const amqpEnv = { ...env, JOBFLEET_DISPATCH: 'rabbitmq', AMQP_URL, JOBFLEET_AMQP_PREFIX: db.name };
      const worker = startCli(['worker', '--queues', 'default', '--concurrency', '4'], amqpEnv);
      try {
        await worker.waitForOutput(/Jobfleet worker running/);
        expect(await ok(['dispatch', 'status'])).toMatch(/dispatch: rabbitmq/);
        const job = await okJson<{ id: string }>(['enqueue', 'reverse_string', '"broker"']);
        fleet ??= await Jobfleet.open({ databaseUrl: db.url, migrate: false });
        const done = await waitFor(
          async () => {
            const j = await fleet!.client.get(job.id);
            return j && j.status === 'COMPLETED' ? j : null;
          },
          { timeoutMs: 30_000, intervalMs: 100, what: 'the RabbitMQ worker to complete the job' },
        );
        expect(done!.result).toBe('rekorb');
      } finally {
        expect((await worker.stop('SIGTERM')).code).toBe(0);
      }
      await ok(['dispatch', 'postgres']);
      await deleteBrokerTopology(new RabbitTopology({ schema: 'jobfleet', prefix: db.name }), ['default']);
    },
    180_000,
  );
});
