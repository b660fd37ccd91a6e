import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
const PRINT_RSS = 'setTimeout(() => console.log(process.memoryUsage().rss), 300)';

/**
 * RSS of an empty Node process, plain and under tsx (how every worker process here runs, and how the
 * jobfleet CLI runs): the floor under the memory table's numbers. MiB; NaN if a probe fails.
 */
export async function referenceRss(): Promise<{ nodeMiB: number; tsxMiB: number }> {
  const probe = async (args: string[]): Promise<number> => {
    try {
      const { stdout } = await run(process.execPath, [...args, '-e', PRINT_RSS], { cwd: ROOT });
      return Math.round(Number(stdout.trim()) / 2 ** 20);
    } catch {
      return NaN;
    }
  };
  return { nodeMiB: await probe([]), tsxMiB: await probe(['--import', 'tsx']) };
}
