/**
 * How a running attempt is stopped from outside (timeout, cancellation, shutdown, lost lease).
 * The AbortController behind `signal` is made only when a handler asks for the signal: Node's
 * EventTarget is costly, and most short jobs never look at it.
 */
export class Interrupt {
  aborted = false;
  reason: unknown = undefined;
  private controller: AbortController | null = null;
  private listener: ((reason: unknown) => void) | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.listener?.(reason);
  }

  /** Settles with the handler's outcome, or rejects with the reason as soon as the attempt is interrupted. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.aborted) return reject(this.reason);
      this.listener = reject;
      work.then(resolve, reject);
    });
  }
}
