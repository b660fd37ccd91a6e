import type { ChannelModel } from 'amqplib';

interface MuxLike {
  out?: { cork?: () => void; uncork?: () => void };
  _readIncoming?: () => void;
  jobfleetCorked?: boolean;
}

/**
 * amqplib's multiplexer hands every frame to the socket on its own: one write system call per publish,
 * acknowledgement and confirm. A RabbitMQ-dispatched drain spent a fifth of its CPU in those writes
 * (BENCHMARKS.md). Corking the socket for one pass of the multiplexer sends the frames of that pass in one
 * `writev`; nothing waits longer, since the pass ends in the same turn.
 *
 * This reaches into amqplib's internals (`connection.muxer`, amqplib 2.3.1, pinned). If they move, it
 * changes nothing and returns false; a test asserts that it applies, so an upgrade that moves them is noticed.
 */
export function coalesceFrameWrites(model: ChannelModel): boolean {
  const mux = (model as unknown as { connection?: { muxer?: MuxLike } }).connection?.muxer;
  const read = mux?._readIncoming;
  const out = mux?.out;
  if (!mux || typeof read !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') return false;
  if (mux.jobfleetCorked) return true;
  mux._readIncoming = function (this: MuxLike) {
    out.cork?.();
    try {
      read.call(this);
    } finally {
      out.uncork?.();
    }
  };
  mux.jobfleetCorked = true;
  return true;
}
