/**
 * Coalesces concurrent calls into one batch: the first caller starts a flush on the next turn of
 * the event loop; callers arriving while a flush runs join the following one. No timer, so a lone
 * caller pays no added latency, and under load each statement carries many rows.
 */
export class GroupCommitter<In, Out> {
  private pending: { item: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly flushBatch: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch = 2000,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.inFlight || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.pending.length === 0) return;
    this.inFlight = true;
    const batch = this.pending.splice(0, this.maxBatch);
    try {
      const out = await this.flushBatch(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(out[i] as Out));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight = false;
      this.kick();
    }
  }
}
