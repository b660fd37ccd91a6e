import { disableOutbox, enableOutbox, outboxStatus, republishWaitingJobs } from '@jobfleet/core';
import { clip, type CliConfig } from '../config.ts';
import { CliError } from '../errors.ts';
import { print, printJson } from '../output.ts';

/** `jobfleet dispatch status|rabbitmq|postgres|republish`: inspect or switch how jobs reach workers, for the whole database. */
export async function runDispatch(config: CliConfig, action: string, json: boolean): Promise<void> {
  if (!['status', 'rabbitmq', 'postgres', 'republish'].includes(action)) {
    throw new CliError(`unknown dispatch action "${clip(action)}": use status, rabbitmq, postgres or republish.`, 2);
  }
  if (config.databaseUrl === undefined && action !== 'status') {
    throw new CliError('dispatch through RabbitMQ needs a shared PostgreSQL: set DATABASE_URL (or --database-url).', 2);
  }
  const { withFleet } = await import('../context.ts');
  await withFleet(config, { role: 'dispatch' }, async ({ fleet }) => {
    let republished: number | undefined;
    if (action === 'rabbitmq') {
      const backfilled = await enableOutbox(fleet.db, fleet.schema);
      if (!json)
        print(
          `RabbitMQ dispatch is on: ${backfilled} waiting job(s) queued for publishing. Run workers with JOBFLEET_DISPATCH=rabbitmq.`,
        );
    } else if (action === 'republish') {
      // Refused, with a clear message, while the outbox is off.
      republished = await republishWaitingJobs(fleet.db, fleet.schema);
      if (!json)
        print(
          `${republished} waiting job(s) queued for publishing again; a job whose message survived gets a second, which workers drop.`,
        );
    } else if (action === 'postgres') {
      await disableOutbox(fleet.db, fleet.schema);
      if (!json)
        print('PostgreSQL dispatch is on: the outbox is off and emptied. Run workers without JOBFLEET_DISPATCH (or =postgres).');
    }
    const status = await outboxStatus(fleet.db, fleet.schema);
    if (json)
      printJson({
        dispatch: status.enabled ? 'rabbitmq' : 'postgres',
        outbox: status,
        ...(republished === undefined ? {} : { republished }),
      });
    else if (action === 'status')
      print(
        status.enabled
          ? `dispatch: rabbitmq (outbox: ${status.due} due, ${status.later} later)`
          : 'dispatch: postgres (the outbox is off)',
      );
  });
}
