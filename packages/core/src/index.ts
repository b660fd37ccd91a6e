export type { Database, Queryable, QueryResult, Unlisten } from './db/database.ts';
export { PgDatabase, type PgDatabaseOptions } from './db/pg-database.ts';
export { PgliteDatabase, type PgliteDatabaseOptions } from './db/pglite-database.ts';
export { openDatabase, type OpenDatabaseOptions } from './db/open-database.ts';
export { migrate, pendingMigrations, loadMigrations, coreMigrations, type Migration } from './db/migrate.ts';
export { assertSchemaName, channels, DEFAULT_SCHEMA } from './db/identifiers.ts';
export * from './errors.ts';
export { backoffDelay, backoffSchema, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
export { enqueueOptionsSchema, parseEnqueueOptions, queueNameSchema, type EnqueueOptions } from './enqueue-options.ts';
export { JOB_STATUSES, CLAIMABLE, FINISHED, type Job, type JobStatus, type JobError, type JobLogLine } from './job.ts';
export {
  defineJob,
  isJobType,
  type JobType,
  type AnyJobType,
  type JobContext,
  type JobTypeConfig,
} from './job-types/define-job.ts';
export { JobTypeRegistry, payloadJsonSchema } from './job-types/registry.ts';
export { discoverJobTypes, discoverSchedules } from './job-types/discover.ts';
export { JobTypeCatalog, type JobTypeInfo } from './job-types/catalog.ts';
export {
  JobfleetClient,
  type JobfleetClientOptions,
  type EnqueueSpec,
  type EnqueuedJob,
  type Scope,
  type ListJobsFilter,
  type JobPage,
  type QueueInfo,
  type ReplayFilter,
} from './client.ts';
export { JobEventBus, EventRelay, type JobEvent, type JobEventKind } from './events.ts';
export { Worker, type WorkerOptions, type WorkerStats } from './worker/worker.ts';
export { Maintenance, type MaintenanceOptions } from './maintenance/maintenance.ts';
export { rescueExpiredJobs } from './maintenance/rescuer.ts';
export { promoteDueJobs } from './maintenance/promoter.ts';
export { cleanFinishedJobs, DEFAULT_RETENTION, type RetentionPolicy } from './maintenance/cleaner.ts';
export { analyzeJobsIfDue, analyzeDue } from './maintenance/analyzer.ts';
export { vacuumJobsIfDue, vacuumDue } from './maintenance/vacuumer.ts';
export { GroupCommitter } from './group-commit.ts';
export { Jobfleet, type JobfleetOptions } from './engine.ts';
export * from './scheduler/index.ts';
export { dispatchFromEnv, type DispatchConfig } from './dispatch/dispatch-config.ts';
export type { JobSource, JobSourceHost } from './dispatch/job-source.ts';
export { PostgresSource } from './dispatch/postgres-source.ts';
export { RabbitSource } from './dispatch/rabbitmq-source.ts';
export { OutboxRelay } from './dispatch/outbox-relay.ts';
export { BrokerConnection } from './dispatch/broker-connection.ts';
export { RabbitTopology, brokerPriority, type BrokerStats } from './dispatch/rabbitmq-topology.ts';
export { enableOutbox, disableOutbox, outboxStatus, republishWaitingJobs, type OutboxStatus } from './dispatch/outbox.ts';
