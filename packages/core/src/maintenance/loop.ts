/** Runs a duty every interval until stopped; a run never overlaps the previous one. */
export class MaintenanceLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    private readonly duty: () => Promise<unknown>,
    private readonly onError: (err: Error, context: string) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs the duty now (tests and shutdown use it). */
  async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.duty()
      .then(() => undefined)
      .catch((err) => this.onError(err as Error, this.name))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.runOnce();
      this.schedule(this.intervalMs);
    }, delay);
    this.timer.unref();
  }
}
