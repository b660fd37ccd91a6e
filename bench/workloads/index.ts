import { SYSTEMS } from '../systems/index.ts';
import type { SystemFactory } from '../types.ts';
import { runDrain, type DrainOptions, type DrainResult } from './drain.ts';
import { runHttp, type HttpOptions, type HttpResult } from './http.ts';
import { runLatency, type LatencyOptions, type LatencyResult } from './latency.ts';
import { runMemory, type MemoryOptions, type MemoryResult } from './memory.ts';
import { runScaleout, type ScaleoutOptions, type ScaleoutResult } from './scaleout.ts';
import { runSoak, type SoakOptions, type SoakResult } from './soak.ts';

/** Options and result of each kind of session (one system × one workload × one repetition or point). */
export interface SessionKinds {
  drain: { options: DrainOptions; result: DrainResult };
  latency: { options: LatencyOptions; result: LatencyResult };
  http: { options: HttpOptions; result: HttpResult };
  scaleout: { options: ScaleoutOptions; result: ScaleoutResult };
  soak: { options: SoakOptions; result: SoakResult };
  memory: { options: MemoryOptions; result: MemoryResult };
}
export type SessionKind = keyof SessionKinds;

function factory(id: string): SystemFactory {
  const f = SYSTEMS[id];
  if (!f) throw new Error(`Unknown system "${id}". Known: ${Object.keys(SYSTEMS).join(', ')}`);
  return f;
}

const RUNNERS: { [K in SessionKind]: (id: string, opts: SessionKinds[K]['options']) => Promise<SessionKinds[K]['result']> } = {
  drain: (id, o) => runDrain(factory(id), o),
  latency: (id, o) => runLatency(factory(id), o),
  // The service is Jobfleet's own; the id only labels the session.
  http: (_id, o) => runHttp(o),
  scaleout: (id, o) => runScaleout(factory(id), o),
  soak: (id, o) => runSoak(factory(id), o),
  memory: (id, o) => runMemory(factory(id), o),
};

export const isSessionKind = (k: string | undefined): k is SessionKind => k !== undefined && k in RUNNERS;

export function runWorkload<K extends SessionKind>(
  kind: K,
  id: string,
  opts: SessionKinds[K]['options'],
): Promise<SessionKinds[K]['result']> {
  return RUNNERS[kind](id, opts);
}
