/**
 * One benchmark session in its own process, so no system inherits another's heap, timers or
 * connections, and the process's memory belongs to one system only. run.ts spawns:
 *   node --import tsx bench/session.ts <drain|latency|http|scaleout|soak|memory> <system id> '<options JSON>'
 * and reads the line starting with RESULT_MARK from stdout.
 */
import { RssSampler, type MemoryStats } from './memory.ts';
import { RESULT_MARK } from './types.ts';
import { isSessionKind, runWorkload, type SessionKind, type SessionKinds } from './workloads/index.ts';

export type { MemoryStats } from './memory.ts';

/** What a session process prints: its result and this process's memory (the enqueuing and, for drain and latency, working process). */
export interface SessionOutput<K extends SessionKind = SessionKind> {
  kind: K;
  result: SessionKinds[K]['result'];
  memory: MemoryStats;
}

async function main(): Promise<void> {
  const [kind, id, json] = process.argv.slice(2);
  if (!isSessionKind(kind) || !id)
    throw new Error('usage: session.ts <drain|latency|http|scaleout|soak|memory> <system> <options JSON>');
  const sampler = new RssSampler();
  const result = await runWorkload(kind, id, JSON.parse(json ?? '{}') as never);
  sampler.stop();
  const out: SessionOutput = { kind, result, memory: sampler.stats() };
  process.stdout.write(RESULT_MARK + JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
