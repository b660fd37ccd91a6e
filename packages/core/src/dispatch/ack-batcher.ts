/**
 * Tracks one channel's unacknowledged deliveries in delivery order, so that a set of acknowledgements
 * that covers the oldest outstanding deliveries goes out as one `basic.ack` with `multiple` set instead
 * of one frame and one socket write per message (amqplib writes each separately: a 50,000-job drain spent
 * a quarter of its CPU in those writes). Deliveries acknowledged or rejected out of order are settled one
 * by one and skipped later. Delivery tags rise by one per delivery on a channel, so the queue is ordered.
 */
export class AckBatcher {
  /** Outstanding tags in delivery order, from `head` on; settled ones wait in `settled` until they reach the head. */
  private tags: number[] = [];
  private head = 0;
  private readonly settled = new Set<number>();

  /** A delivery arrived. */
  delivered(tag: number): void {
    this.tags.push(tag);
  }

  /** A delivery was settled on its own (acknowledged or rejected individually). */
  settle(tag: number): void {
    this.settled.add(tag);
    this.advance();
  }

  /**
   * Plans acknowledgements for these tags: `upTo` (acknowledge every outstanding delivery up to and
   * including it, with `multiple`) when the oldest outstanding deliveries are all among them, and `single`
   * for the rest. The plan counts as carried out: the caller sends it at once.
   */
  plan(ackTags: readonly number[]): { upTo: number | null; single: number[] } {
    const want = new Set(ackTags);
    let upTo: number | null = null;
    while (this.head < this.tags.length) {
      const tag = this.tags[this.head] as number;
      if (want.has(tag)) {
        want.delete(tag);
        upTo = tag;
      } else if (this.settled.has(tag)) {
        this.settled.delete(tag);
      } else break;
      this.head++;
    }
    const single = [...want];
    for (const t of single) this.settled.add(t);
    this.compact();
    return { upTo, single };
  }

  get outstanding(): number {
    return this.tags.length - this.head - this.settled.size;
  }

  private advance(): void {
    while (this.head < this.tags.length && this.settled.delete(this.tags[this.head] as number)) this.head++;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.tags.length) {
      this.tags = this.tags.slice(this.head);
      this.head = 0;
    }
  }
}
