/** The lazy request logger: nothing built until a line is due, then the same lines as pino's own child. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { REDACT_PATHS } from '../src/app.ts';
import { RequestLogger, requestLoggerFactory } from '../src/request-logger.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
  return { logger: logger as unknown as FastifyBaseLogger, lines };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('request logger', () => {
  it('builds no child while nothing is logged at an enabled level', async () => {
    const { logger, lines } = capture('warn');
    const log = requestLoggerFactory(logger, { reqId: 'r1' }, {}) as RequestLogger;
    expect(log).toBeInstanceOf(RequestLogger);
    log.info('incoming request');
    log.debug({ a: 1 }, 'details');
    log.setBindings({ userId: 'u1' });
    expect(log.built).toBe(false);
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('error')).toBe(true);
    await settle();
    expect(lines).toEqual([]);
  });

  it('logs at enabled levels with the request id, later bindings and redaction, like an eager child', async () => {
    const { logger, lines } = capture('info');
    const log = requestLoggerFactory(logger, { reqId: 'r2' }, {}) as RequestLogger;
    log.setBindings({ userId: 'u2', apiKeyId: 'k2' });
    log.info({ code: 'NOT_FOUND', password: 'hunter2' }, 'no such job');
    expect(log.built).toBe(true);
    log.setBindings({ extra: true }); // after the child exists: goes to it
    log.error(new Error('boom'), 'request failed');
    log.debug('dropped');

    const eager = logger.child({ reqId: 'r2' });
    (eager as unknown as { setBindings(b: object): void }).setBindings({ userId: 'u2', apiKeyId: 'k2' });
    eager.info({ code: 'NOT_FOUND', password: 'hunter2' }, 'no such job');
    await settle();

    expect(lines).toHaveLength(3);
    const [first, second, fromEager] = lines;
    expect(first).toMatchObject({
      reqId: 'r2',
      userId: 'u2',
      apiKeyId: 'k2',
      code: 'NOT_FOUND',
      password: '[redacted]',
      msg: 'no such job',
    });
    expect(second).toMatchObject({ reqId: 'r2', userId: 'u2', extra: true, msg: 'request failed', err: { message: 'boom' } });
    const strip = (l: Record<string, unknown>) => ({ ...l, time: 0 });
    expect(strip(first!)).toEqual(strip(fromEager!));
  });

  it('derives children and changes level through the real child', async () => {
    const { logger, lines } = capture('warn');
    const log = requestLoggerFactory(logger, { reqId: 'r3' }, {}) as RequestLogger;
    log.level = 'debug';
    expect(log.built).toBe(true);
    log.debug('now visible');
    log.child({ part: 'stream' }).warn('from a child');
    await settle();
    expect(lines.map((l) => [l.reqId, l.part, l.msg])).toEqual([
      ['r3', undefined, 'now visible'],
      ['r3', 'stream', 'from a child'],
    ]);
  });

  it('a per-route level or serializers, or a logger without isLevelEnabled, get the eager child', () => {
    const { logger } = capture('info');
    expect(requestLoggerFactory(logger, { reqId: 'r4' }, { level: 'error' })).not.toBeInstanceOf(RequestLogger);
    expect(requestLoggerFactory(logger, { reqId: 'r4' }, { level: 'error' }).level).toBe('error');
    const bare = { ...capture('info').logger, isLevelEnabled: undefined, child: () => bare } as unknown as FastifyBaseLogger;
    expect(requestLoggerFactory(bare, { reqId: 'r5' }, {})).toBe(bare);
  });
});
