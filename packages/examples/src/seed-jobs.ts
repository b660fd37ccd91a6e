import { z } from 'zod';
import { defineJob } from '@jobfleet/core';

function fibonacciSequence(n: number): number[] {
  const seq: number[] = [];
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) {
    seq.push(a);
    [a, b] = [b, a + b];
  }
  return seq;
}

/** Seeds 000 and 002: `executeJob(name: "Fibonacci", data: { iterations: 10 })`. */
export const Fibonacci = defineJob({
  name: 'Fibonacci',
  description: 'Generate a Fibonacci sequence of the given length.',
  schema: z.object({ iterations: z.number().int().min(1).max(1476).default(10) }).strict(),
  handler: ({ iterations }, ctx) => {
    const sequence = fibonacciSequence(iterations);
    ctx.progress(100);
    return { iterations, sequence, last: sequence[sequence.length - 1] };
  },
});

/** Seed 004: the payload is the string itself; the result is the string reversed. */
export const reverseString = defineJob({
  name: 'reverse_string',
  description: 'Reverse a string (by Unicode code point).',
  schema: z.string().max(1_000_000),
  handler: (text) => [...text].reverse().join(''),
});

/** Seed 004: the payload is the string; the result is it in upper case. */
export const uppercaseText = defineJob({
  name: 'uppercase_text',
  description: 'Convert a string to upper case.',
  schema: z.string().max(1_000_000),
  handler: (text) => text.toUpperCase(),
});

/** Seed 004: the payload is the number n; the result is the n-th Fibonacci number (exact, as a string past 2^53). */
export const fibonacciCalc = defineJob({
  name: 'fibonacci_calc',
  description: 'Compute the n-th Fibonacci number.',
  schema: z.number().int().min(0).max(10_000),
  handler: (n) => {
    let [a, b] = [0n, 1n];
    for (let i = 0; i < n; i++) [a, b] = [b, a + b];
    return a <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a) : a.toString();
  },
});

/** Seed 001: "LoadProducts" with data as a JSON array (or its string form) of products. */
export const LoadProducts = defineJob({
  name: 'LoadProducts',
  description: 'Validate and load a list of products; returns how many were loaded and their total value.',
  schema: z.union([
    z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'data is a string but not valid JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.array(z.object({ name: z.string().min(1), price: z.number().nonnegative() }))),
    z.array(z.object({ name: z.string().min(1), price: z.number().nonnegative() })),
  ]),
  handler: (products, ctx) => {
    products.forEach((p, i) => ctx.progress(((i + 1) / products.length) * 100, `loaded ${p.name}`));
    const total = products.reduce((s, p) => s + p.price, 0);
    return { loaded: products.length, totalValue: Math.round(total * 100) / 100 };
  },
});
