/**
 * Login throttling per (email, IP): after `freeFailures` failures in a row, each further attempt is refused
 * until a lock expires; the lock doubles with every failure (base × 2^(n − free)), capped. A success clears it.
 * In memory, per process: enough for one API node; behind several, the per-IP rate limit still applies.
 */
export interface ThrottleOptions {
  freeFailures?: number;
  baseLockMs?: number;
  maxLockMs?: number;
  /** Forget an entry this long after its last failure. */
  forgetMs?: number;
  maxEntries?: number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly forget: number;
  private readonly maxEntries: number;

  constructor(opts: ThrottleOptions = {}) {
    this.free = opts.freeFailures ?? 5;
    this.base = opts.baseLockMs ?? 30_000;
    this.max = opts.maxLockMs ?? 15 * 60_000;
    this.forget = opts.forgetMs ?? 60 * 60_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
  }

  /** Milliseconds to wait before another attempt is allowed; 0 when allowed now. */
  check(key: string, now = Date.now()): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (now - e.lastFailure > this.forget) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, e.lockedUntil - now);
  }

  /** Records a failure; returns the lock now in force (ms), 0 when still within the free failures. */
  fail(key: string, now = Date.now()): number {
    let e = this.entries.get(key);
    if (!e || now - e.lastFailure > this.forget) {
      e = { failures: 0, lockedUntil: 0, lastFailure: now };
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    this.entries.delete(key);
    e.failures += 1;
    e.lastFailure = now;
    if (e.failures >= this.free) {
      const lock = Math.min(this.max, this.base * 2 ** (e.failures - this.free));
      e.lockedUntil = now + lock;
    }
    this.entries.set(key, e);
    return Math.max(0, e.lockedUntil - now);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }
}
