/**
 * The dashboard end to end: a real server (real PostgreSQL, example job types, one worker) serving the built
 * dashboard, driven by Debian's Chromium through playwright-core. Screenshots of every page go to a temporary
 * folder; `JOBFLEET_SCREENSHOTS_DIR=docs/screenshots` refreshes the committed ones.
 *
 * Locally, without Chromium or PostgreSQL, the suite skips with a printed reason; under CI=true it fails instead.
 */
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJob, Jobfleet, type Worker } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '@jobfleet/core/testing';
import { exampleJobTypes } from '@jobfleet/examples';
import { buildServer, createAuthService, loadServerConfig, serverMigrations } from '@jobfleet/server';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const distDir = join(packageDir, 'dist');
/** Where the screenshots go: a temporary folder unless JOBFLEET_SCREENSHOTS_DIR says otherwise, so test runs leave the committed ones alone. */
const shotsDir = process.env.JOBFLEET_SCREENSHOTS_DIR
  ? resolve(process.env.JOBFLEET_SCREENSHOTS_DIR)
  : join(tmpdir(), 'jobfleet-screenshots');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const msg = `Chromium is not at ${CHROMIUM} (install it with: apt-get install -y chromium, or set CHROMIUM_PATH).`;
  if (process.env.CI) throw new Error(`${msg} CI needs it for the dashboard tests.`);
  console.warn(`SKIPPING dashboard browser tests: ${msg}`);
}

const UUID_PATH = /\/jobs\/([0-9a-f-]{36})$/;

/** A slow job with progress and log lines (no payload schema: its form is a JSON textarea). */
const steps = defineJob({
  name: 'dashboard_steps',
  description: 'Takes `steps` steps of 400 ms, reporting progress and a log line at each.',
  handler: async (payload, ctx) => {
    const n = Number((payload as { steps?: number } | null)?.steps ?? 10);
    for (let i = 1; i <= n; i++) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 400);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason);
        });
      });
      ctx.progress((i / n) * 100, `step ${i}`);
      ctx.log(`step ${i} of ${n}`);
    }
    return { steps: n };
  },
});

/** Builds the dashboard when dist/ is missing (npm install's postinstall normally did it). */
function ensureBuilt(): void {
  if (existsSync(join(distDir, 'index.html'))) return;
  const viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [viteBin, 'build', '--logLevel', 'warn'], { cwd: packageDir, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`The dashboard build failed (exit ${r.status}).`);
}

describe.runIf(pgAvailable && haveChromium)('dashboard in Chromium', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let app: FastifyInstance;
  let worker: Worker;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let admin: { email: string; password: string };
  const pageErrors: string[] = [];

  const shot = async (name: string, p: Page = page) => {
    await p.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
  };
  const heading = (p: Page, name: string | RegExp) => p.getByRole('heading', { level: 1, name }).waitFor({ timeout: 15_000 });
  const nav = async (label: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  };
  const statusIs = (status: string, timeout = 30_000) =>
    page.locator('[data-testid="job-status"]', { hasText: status }).waitFor({ timeout });

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(shotsDir, { recursive: true });
    db = await createTestDatabase('jobfleet_dash');
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [...exampleJobTypes, steps], migrations: serverMigrations() });
    const config = { ...loadServerConfig({}), rateLimitPerMinute: 100_000, dashboardDir: distDir };
    const auth = createAuthService({ fleet, config, secret: 'dashboard-test-secret-0123456789-abcdefghijklmnop' });
    admin = (await auth.ensureAdmin('admin@example.com')) as { email: string; password: string };
    app = await buildServer({ fleet, auth, config, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    base = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
    worker = fleet.createWorker();
    await worker.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await app?.close().catch(() => {});
    await fleet?.close({ graceMs: 1000 }).catch(() => {});
    await db?.drop().catch(() => {});
  });

  it('serves the app at / and at any page path, and the API beside it', async () => {
    for (const path of ['/', '/jobs/00000000-0000-4000-8000-000000000000', '/dead-letters']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    expect((await fetch(`${base}/api/v1/nope`)).status).toBe(404);
  });

  it('signs in with the keyboard and shows the overview', async () => {
    await page.goto(`${base}/`);
    await heading(page, 'Sign in to Jobfleet');
    // A marker that a full page load would wipe: the rest of the suite runs without reloading.
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).__jobfleetMarker = 42;
    });
    await shot('sign-in');
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByLabel('Password').press('Enter');
    await heading(page, 'Overview');
    // The page heading takes the focus on navigation; Tab goes on to the page's first control.
    const focused = () =>
      page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string } | null } })
          .document.activeElement;
        return el ? `${el.tagName}:${el.textContent}` : '';
      });
    expect(await focused()).toBe('H1:Overview');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('A:Submit a job');
  });

  it('submits reverse_string from its generated form and follows it live to COMPLETED', async () => {
    await nav('Job types');
    await heading(page, 'Job types');
    await page.getByRole('link', { name: 'Submit a reverse_string job' }).waitFor();
    await shot('job-types');
    await page.getByRole('link', { name: 'Submit a reverse_string job' }).click();
    await heading(page, 'Submit reverse_string');
    await page.getByLabel('Payload').fill('hello world');
    await shot('submit-reverse_string');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(UUID_PATH);
    await statusIs('COMPLETED');
    await expect.poll(() => page.getByTestId('job-result').textContent()).toContain('dlrow olleh');
    const id = UUID_PATH.exec(new URL(page.url()).pathname)![1]!;
    expect((await fleet.client.get(id))?.result).toBe('dlrow olleh');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__jobfleetMarker)).toBe(42);
    await shot('job-detail');
  });

  it('shows progress and logs live from the event stream, and cancels a running job', async () => {
    await nav('Job types');
    await page.getByRole('link', { name: 'Submit a dashboard_steps job' }).click();
    await heading(page, 'Submit dashboard_steps');
    await page.getByLabel('Payload (JSON)').fill('{ "steps": 25 }');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(UUID_PATH);
    await statusIs('RUNNING');
    await page.getByText('step 3 of 25').waitFor({ timeout: 15_000 });
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    const now = Number(await bar.getAttribute('aria-valuenow'));
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(100);
    await page.getByText('Live', { exact: true }).waitFor();
    await shot('job-detail-running');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await statusIs('CANCELLED');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__jobfleetMarker)).toBe(42);
  });

  it('lists jobs with filters and opens the overview charts', async () => {
    // A few more jobs so that the charts and the table have something to show.
    for (let i = 0; i < 6; i++) await fleet.client.enqueue('uppercase_text', `job ${i}`);
    await fleet.client.enqueue('sleep', { ms: 30_000 });
    await nav('Jobs');
    await heading(page, 'Jobs');
    await page.getByRole('table').getByText('reverse_string').first().waitFor();
    await page.getByLabel('State').selectOption('COMPLETED');
    await page.waitForURL(/status=COMPLETED/);
    await page.getByRole('table').getByText('uppercase_text').first().waitFor();
    await page.getByLabel('State').selectOption('');
    await page.locator('[data-status="RUNNING"]').first().waitFor({ timeout: 15_000 });
    await shot('jobs');
    await nav('Overview');
    await heading(page, 'Overview');
    await page.getByRole('heading', { name: 'default' }).waitFor();
    // Some steady load for a few polls, so that the throughput and failure-rate lines have a shape.
    for (let i = 0; i < 16; i++) {
      await fleet.client.enqueueMany(
        Array.from({ length: 2 + (i % 5) }, (_, k) => ({ type: 'uppercase_text', payload: `load ${i}.${k}` })),
      );
      if (i % 4 === 1) await fleet.client.enqueue('flaky', { times: 1 });
      await page.waitForTimeout(300);
    }
    await shot('overview');
  });

  it('makes a dead letter and replays it from the dead-letters page', async () => {
    await nav('Job types');
    await page.getByRole('link', { name: 'Submit a flaky job' }).click();
    await heading(page, 'Submit flaky');
    await page.getByRole('checkbox', { name: 'Permanent' }).check();
    await shot('submit-flaky');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(UUID_PATH);
    const id = UUID_PATH.exec(new URL(page.url()).pathname)![1]!;
    await statusIs('DEAD');
    await page.getByRole('heading', { name: 'Error' }).waitFor();
    await shot('job-detail-dead');

    await nav('Dead letters');
    await heading(page, 'Dead letters');
    await page.getByRole('link', { name: `Job ${id}` }).waitFor();
    await page.getByRole('button', { name: 'Inspect' }).first().click();
    await shot('dead-letters');
    await page.getByRole('button', { name: `Replay job ${id}` }).click();
    await page.locator('#main').getByText('Replayed 1 dead letter.').waitFor();
    // Replayed with fresh attempts: it runs (and, being permanent, fails) once more.
    await waitFor(async () => ((await fleet.client.get(id))?.errors.length ?? 0) >= 2, {
      timeoutMs: 20_000,
      what: 'the replayed run',
    });
  });

  it('creates and revokes an API key, and lists users', async () => {
    await nav('API keys');
    await heading(page, 'API keys');
    await page.getByText('New API key').click();
    await page.getByLabel('Name').fill('ci key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    expect(key).toMatch(/^jf_/);
    await page.getByRole('cell', { name: 'ci key', exact: true }).waitFor();
    await shot('api-keys');
    const me = await fetch(`${base}/api/v1/auth/me`, { headers: { 'x-api-key': key } });
    expect(me.status).toBe(200);
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.locator('#main').getByText('Key ci key revoked.').waitFor();

    await nav('Users');
    await heading(page, 'Users');
    await page.getByRole('cell', { name: admin.email, exact: true }).waitFor();
    await page.getByText('New user').click();
    await page.getByLabel('Email').fill('member@example.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'member@example.com', exact: true }).waitFor();
    await shot('users');
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__jobfleetMarker)).toBe(42);
  });

  it('manages schedules when the server has them', async () => {
    const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules', exact: true });
    if ((await link.count()) === 0) {
      const res = await fetch(`${base}/api/v1/schedules`);
      expect(res.status).toBe(404); // hidden only because the server has no schedules API
      return;
    }
    await link.click();
    await heading(page, 'Schedules');
    await page.getByText('New schedule').click();
    await page.getByLabel('Name').fill('nightly reverse');
    await page.getByLabel('Job type').selectOption('reverse_string');
    await page.getByLabel('Cron').fill('0 3 * * *');
    await page.getByLabel('Payload (JSON)').fill('"good night"');
    await page.getByRole('button', { name: 'Preview next runs' }).click();
    await page.getByText('Next runs:').waitFor();
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByRole('cell', { name: 'nightly reverse', exact: true }).waitFor();
    await shot('schedules');
    await page.getByRole('button', { name: 'Run nightly reverse now' }).click();
    await page.waitForURL(UUID_PATH);
    await statusIs('COMPLETED');
    await expect.poll(() => page.getByTestId('job-result').textContent()).toContain('thgin doog');
  });

  it('shows a member only what a member may do', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    await p.goto(`${base}/`);
    await p.getByLabel('Email').fill('member@example.com');
    await p.getByLabel('Password').fill('correct horse battery staple');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await heading(p, 'Overview');
    await p.getByRole('heading', { name: 'default' }).waitFor();
    const navLinks = await p.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(navLinks).not.toContain('Users');
    expect(await p.getByRole('button', { name: /^(Pause|Resume) queue/ }).count()).toBe(0);
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
    await p.getByText('No job matches these filters.').waitFor(); // members see their own jobs only
    await p.goto(`${base}/users`);
    await heading(p, 'Page not found');
    await ctx.close();
  });

  it('fits a phone and follows the dark colour scheme', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', deviceScaleFactor: 2 });
    const p = await phone.newPage();
    await p.goto(`${base}/`);
    await p.getByLabel('Email').fill(admin.email);
    await p.getByLabel('Password').fill(admin.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await heading(p, 'Overview');
    await p.waitForTimeout(1500);
    await shot('overview-phone-dark', p);
    await p.getByRole('button', { name: 'Menu' }).click();
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs', exact: true }).click();
    await heading(p, 'Jobs');
    await p.getByRole('table').waitFor();
    await shot('jobs-phone-dark', p);
    // Cursor pagination: Next, then Previous back to the same first row.
    const firstRow = () => p.getByRole('table').getByRole('link').first().getAttribute('href');
    const page1 = await firstRow();
    await p.getByRole('button', { name: 'Next →' }).click();
    await p.getByText('Page 2', { exact: true }).waitFor();
    await expect.poll(firstRow).not.toBe(page1);
    await p.getByRole('button', { name: '← Previous' }).click();
    await p.getByText('Page 1', { exact: true }).waitFor();
    await expect.poll(firstRow).toBe(page1);
    const first = p.getByRole('table').getByRole('link').first();
    await first.click();
    await p.locator('[data-testid="job-status"]').waitFor();
    await shot('job-detail-phone-dark', p);
    // Nothing is wider than the screen.
    const overflow = await p.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } })
        .document;
      return d.documentElement.scrollWidth - d.documentElement.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);

    // A stale token in the tab: the HTTP-only refresh cookie gets a new one, without asking to sign in again.
    await p.evaluate(() => {
      (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
        'jobfleet.token',
        'stale',
      );
    });
    await p.reload();
    await p.locator('[data-testid="job-status"]').waitFor();
    // Signing out ends the session for good (the cookies are cleared too).
    await p.getByRole('button', { name: 'Sign out' }).click();
    await heading(p, 'Sign in to Jobfleet');
    await p.reload();
    await heading(p, 'Sign in to Jobfleet');
    await phone.close();
  });

  it('raised no error in the page', () => {
    // 401s while probing optional APIs are not errors of the page; anything else is.
    expect(pageErrors.filter((e) => !/status of 40[14]/.test(e))).toEqual([]);
  });
});
