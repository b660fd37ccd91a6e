/**
 * What the database said about a credential (an API key's hash, a session id), kept for a few
 * seconds so that a client sending thousands of requests a second costs one lookup per interval
 * instead of a round trip per request. Only credentials found valid are kept: unknown or refused
 * ones always go to the database. The auth service clears the whole cache on every change it makes
 * to users, sessions or keys; a change made by another process shows here within `ttlMs`.
 */
export class CredentialCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Bumped by clear(): a lookup that started before a change must not store what it read. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > now) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Take before reading the database; pass to set(). */
  ticket(): number {
    return this.generation;
  }

  set(key: string, value: V, ticket: number, now = Date.now()): void {
    if (this.ttlMs <= 0 || ticket !== this.generation) return;
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
