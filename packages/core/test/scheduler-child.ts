/**
 * A scheduler process for scheduler-cluster.test.ts: opens the engine on DATABASE_URL and runs
 * the firing loop until SIGTERM, then prints how many jobs it enqueued.
 */
import { Jobfleet } from '../src/index.ts';
import { Scheduler, scheduleTickJob } from '../src/scheduler/index.ts';

const fleet = await Jobfleet.open({
  databaseUrl: process.env.DATABASE_URL,
  poolSize: 2,
  jobTypes: [scheduleTickJob],
  migrate: false,
  onError: (err, context) => process.stderr.write(`${context}: ${err.message}\n`),
});
let enqueued = 0;
const scheduler = new Scheduler(fleet, {
  intervalMs: Number(process.env.INTERVAL_MS ?? 250),
  onError: (err, context) => process.stderr.write(`${context}: ${err.message}\n`),
});
const tick = scheduler.tick.bind(scheduler);
scheduler.tick = async () => {
  const r = await tick();
  enqueued += r.enqueued;
  return r;
};
scheduler.start();
process.stdout.write('ready\n');
const stop = async () => {
  await scheduler.stop();
  await fleet.close();
  process.stdout.write(`enqueued=${enqueued}\n`);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
