import type { AnyJobType } from '@jobfleet/core';
import { Fibonacci, fibonacciCalc, LoadProducts, reverseString, uppercaseText } from './seed-jobs.ts';
import { flaky, noop, sleep } from './test-jobs.ts';

export { Fibonacci, fibonacciCalc, LoadProducts, reverseString, uppercaseText } from './seed-jobs.ts';
export { flaky, noop, sleep } from './test-jobs.ts';

/** Every example job type: what `jobfleet start` serves out of the box. */
export const exampleJobTypes: AnyJobType[] = [
  Fibonacci,
  reverseString,
  uppercaseText,
  fibonacciCalc,
  LoadProducts,
  noop,
  sleep,
  flaky,
];
