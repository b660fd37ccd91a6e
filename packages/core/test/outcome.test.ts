import { describe, expect, it } from 'vitest';
import { encodeOutcome } from '../src/worker/outcome.ts';

describe('encodeOutcome', () => {
  const id = '01935c4e-0000-7000-8000-000000000000';

  it('writes only the parts an outcome has (absent keys read as NULL in json_to_recordset)', () => {
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED' }))).toEqual({ id, token: id, status: 'COMPLETED' });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: null, logs: [] }))).toEqual({
      id,
      token: id,
      status: 'COMPLETED',
    });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'QUEUED', release: false }))).not.toHaveProperty('release');
  });

  it('keeps falsy results, errors, retry times, logs and releases', () => {
    const error = { message: 'boom', attempt: 1, at: '2026-01-01T00:00:00.000Z' };
    const logs = [{ at: '2026-01-01T00:00:00.000Z', message: 'hi' }];
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: 0 })).result).toBe(0);
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: false })).result).toBe(false);
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'COMPLETED', result: '' })).result).toBe('');
    expect(
      JSON.parse(encodeOutcome({ id, token: id, status: 'FAILED', error, runAt: '2026-01-01T00:00:01.000Z', logs })),
    ).toEqual({ id, token: id, status: 'FAILED', error, run_at: '2026-01-01T00:00:01.000Z', logs });
    expect(JSON.parse(encodeOutcome({ id, token: id, status: 'QUEUED', release: true })).release).toBe(true);
  });

  it('throws on a result JSON cannot carry, so the worker fails that attempt alone', () => {
    expect(() => encodeOutcome({ id, token: id, status: 'COMPLETED', result: 10n })).toThrow();
  });
});
