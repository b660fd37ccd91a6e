#!/usr/bin/env -S node --import tsx
import { describeError } from './errors.ts';
import { main } from './program.ts';

const verbose = process.argv.includes('--verbose');
const fatal = (what: string) => (err: unknown) => {
  process.stderr.write(`jobfleet: ${what}: ${describeError(err)}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
};
process.on('uncaughtException', fatal('unexpected error'));
process.on('unhandledRejection', fatal('unexpected error'));

const code = await main(process.argv);
process.exit(code);
