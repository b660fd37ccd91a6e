import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJobType, type AnyJobType } from './define-job.ts';

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[jt]s|\.spec\.[mc]?[jt]s)$/;

/** Imports every module under a folder and returns each job type any of them exports. */
export async function discoverJobTypes(folder: string): Promise<AnyJobType[]> {
  const root = path.resolve(folder);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`Job types folder "${folder}" does not exist or is not a folder.`);
  }
  const found = new Map<string, AnyJobType>();
  for (const file of walk(root)) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const candidates = Array.isArray(value) ? value : [value];
      for (const c of candidates) if (isJobType(c)) found.set(c.name, c);
    }
  }
  return [...found.values()];
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (MODULE.test(entry.name) && !SKIP.test(entry.name)) yield full;
  }
}
