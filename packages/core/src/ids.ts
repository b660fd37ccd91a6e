import { randomFillSync } from 'node:crypto';

/*
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter (method 1) so that ids made in the
 * same millisecond keep their order, then 62 random bits. Ours rather than the `uuid` package's because
 * that one asks the kernel for 16 random bytes per id, which was the largest cost of a bulk enqueue;
 * here random bytes come from a pool refilled 4 KiB at a time.
 */

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function random(n: number): number {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const bytes = new Uint8Array(16);
let lastMs = -1;
let counter = 0;

export function uuidv7(now = Date.now()): string {
  let ms = now;
  if (ms > lastMs) {
    lastMs = ms;
    // Start each millisecond at a random point in the lower half, leaving room to count up.
    counter = pool[random(1)]! << 3;
  } else {
    // Same millisecond, or the clock stepped back: stay on the last one and count.
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      lastMs = ms = lastMs + 1;
      counter = 0;
    }
  }
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (counter >>> 8);
  bytes[7] = counter & 0xff;
  const r = random(8);
  bytes[8] = 0x80 | (pool[r]! & 0x3f);
  for (let i = 9; i < 16; i++) bytes[i] = pool[r + i - 8]!;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += HEX[bytes[i]!];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

/**
 * The smallest UUID whose first 48 bits are the given Unix millisecond: every UUIDv7 made at or after
 * that millisecond sorts at or above it (uuid comparison is bytewise), every one made before sorts below.
 */
export function uuidv7Floor(ms: number): string {
  const t = Math.min(2 ** 48 - 1, Math.max(0, Math.floor(ms)));
  const hex = t.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000`;
}
