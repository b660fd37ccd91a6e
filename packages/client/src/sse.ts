import type { ServerSentEvent } from './types.ts';

/**
 * Parses a text/event-stream body into events (the WHATWG rules that matter here: `event:`, `data:`
 * (joined by newlines), `id:`, comments starting with `:`, blank line dispatches; CRLF, LF or CR line ends).
 */
export async function* parseEventStream(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let lastId: string | undefined;
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  function* dispatchLines(final: boolean): Generator<ServerSentEvent> {
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer);
      // A lone trailing CR may be the first half of CRLF: wait for more input unless the stream ended.
      if (!m || (m[0] === '\r' && m.index === buffer.length - 1 && !final)) break;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      if (line === '') {
        if (data.length > 0) {
          if (id !== undefined) lastId = id;
          const raw = data.join('\n');
          const out: ServerSentEvent = { event: event || 'message', data: parseData(raw) };
          if (lastId !== undefined) out.id = lastId;
          yield out;
        }
        event = '';
        data = [];
        id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  }

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      yield* dispatchLines(false);
    }
    buffer += decoder.decode();
    yield* dispatchLines(true);
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

function parseData(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
