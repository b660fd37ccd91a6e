import { describe, expect, it } from 'vitest';
import { uuidv7, uuidv7Floor } from '../src/ids.ts';

describe('uuidv7', () => {
  it('makes valid version-7 UUIDs carrying the time', () => {
    const before = Date.now();
    const id = uuidv7();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('keeps creation order within a millisecond, across counter overflow and a clock stepping back', () => {
    const ids = [
      uuidv7(1_000_000),
      ...Array.from({ length: 10_000 }, () => uuidv7(1_000_000)),
      uuidv7(999_000),
      uuidv7(1_000_001),
    ];
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is unique over many ids', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => uuidv7()));
    expect(ids.size).toBe(100_000);
  });
});

describe('uuidv7Floor', () => {
  it('sorts below every id of its millisecond and above every earlier one', () => {
    const ms = Date.UTC(2026, 10, 24, 20, 0, 0, 123);
    const floor = uuidv7Floor(ms);
    expect(floor).toBe(
      `${ms.toString(16).padStart(12, '0').slice(0, 8)}-${ms.toString(16).padStart(12, '0').slice(8)}-0000-0000-000000000000`,
    );
    const same = Array.from({ length: 50 }, () => uuidv7(ms + 1));
    for (const id of same) expect(id > floor).toBe(true);
    expect(uuidv7Floor(ms + 1) > floor).toBe(true);
    expect(uuidv7Floor(ms - 1) < floor).toBe(true);
    expect(uuidv7Floor(-5)).toBe('00000000-0000-0000-0000-000000000000');
    expect(uuidv7Floor(2 ** 60)).toBe('ffffffff-ffff-0000-0000-000000000000');
  });
});
