import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleJobTypes } from '@jobfleet/examples';
import { Jobfleet, PayloadValidationError } from '../src/index.ts';
import { waitFor } from '../testing/index.ts';

describe('the seeds’ job types, run by a worker on the embedded database', () => {
  let fleet: Jobfleet;
  beforeAll(async () => {
    fleet = await Jobfleet.open({ memory: true, jobTypes: exampleJobTypes });
    await fleet.createWorker({ concurrency: 4, pollIntervalMs: 100 }).start();
  });
  afterAll(async () => fleet.close());

  const run = async (type: string, payload: unknown) => {
    const job = await fleet.client.enqueue(type, payload);
    return waitFor(async () => {
      const j = await fleet.client.get(job.id);
      return j && ['COMPLETED', 'DEAD'].includes(j.status) ? j : null;
    });
  };

  it.each([
    ['reverse_string', 'hello world', 'dlrow olleh'],
    ['uppercase_text', 'hello world', 'HELLO WORLD'],
    ['fibonacci_calc', 10, 55],
    ['fibonacci_calc', 100, '354224848179261915075'],
    ['Fibonacci', { iterations: 10 }, { iterations: 10, sequence: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34], last: 34 }],
    ['Fibonacci', {}, { iterations: 10, sequence: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34], last: 34 }],
    ['LoadProducts', '[{"name": "Product 1", "price": 99.99}]', { loaded: 1, totalValue: 99.99 }],
    [
      'LoadProducts',
      [
        { name: 'a', price: 1.5 },
        { name: 'b', price: 2 },
      ],
      { loaded: 2, totalValue: 3.5 },
    ],
  ])('%s(%j) → %j', async (type, payload, expected) => {
    const job = await run(type, payload);
    expect(job.status).toBe('COMPLETED');
    expect(job.result).toEqual(expected);
  });

  it.each([
    ['reverse_string', 42],
    ['fibonacci_calc', 'ten'],
    ['fibonacci_calc', -1],
    ['Fibonacci', { iterations: 0 }],
    ['Fibonacci', { iterations: 10, extra: true }],
    ['LoadProducts', 'not json'],
    ['LoadProducts', [{ name: '', price: -1 }]],
  ])('refuses %s(%j) at enqueue', async (type, payload) => {
    await expect(fleet.client.enqueue(type, payload)).rejects.toBeInstanceOf(PayloadValidationError);
  });
});
