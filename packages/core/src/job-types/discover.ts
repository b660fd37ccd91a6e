import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJobType, type AnyJobType } from './define-job.ts';
import { isDeclaredSchedule, type DeclaredSchedule } from '../scheduler/declare-schedule.ts';

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

/** Imports every module under a folder and returns each job type any of them exports. */
export async function discoverJobTypes(folder: string): Promise<AnyJobType[]> {
  return (await discoverExports(folder, isJobType)).map(([, t]) => t);
}

/** Imports every module under a folder and returns each schedule declared with defineSchedule(). */
export async function discoverSchedules(folder: string): Promise<DeclaredSchedule[]> {
  return (await discoverExports(folder, isDeclaredSchedule)).map(([, s]) => s);
}

async function discoverExports<T extends { name: string }>(folder: string, is: (v: unknown) => v is T): Promise<[string, T][]> {
  const root = path.resolve(folder);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`Job types folder "${folder}" does not exist or is not a folder.`);
  }
  const found = new Map<string, T>();
  for (const file of walk(root)) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const candidates = Array.isArray(value) ? value : [value];
      for (const c of candidates) if (is(c)) found.set(c.name, c);
    }
  }
  return [...found.entries()];
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (MODULE.test(entry.name) && !SKIP.test(entry.name)) yield full;
  }
}
