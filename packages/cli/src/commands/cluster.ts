import cluster, { type Worker } from 'node:cluster';
import type { Log } from '../log.ts';

/** A copy that dies within this long of starting, before it listened, failed to start (it did not crash). */
const START_WINDOW_MS = 10_000;
const RESTART_DELAY_MS = 1_000;

/**
 * `--processes N`: this process becomes a supervisor running N copies of the same command
 * (node:cluster; the copies share the listening socket, which the supervisor hands out round-robin).
 * One Node process serves HTTP on one core; a many-core host runs several. A copy that crashes is
 * replaced; one that fails to start (dies before it listens, or within 10 s for a worker) stops
 * them all with its exit code: a bad setting would fail every copy alike. SIGTERM/SIGINT go to every copy; the supervisor exits when they have.
 */
export async function superviseCopies(processes: number, log: Log): Promise<number> {
  let stopping = false;
  const started = new Map<Worker, number>();
  const listened = new WeakSet<Worker>();
  let exitCode = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
  };

  return new Promise<number>((resolve) => {
    // The first stop is a message, not a signal: a terminal's Ctrl+C (or systemd) signals every
    // copy too, and a copy takes a second signal as "stop at once". Later signals are passed on.
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        for (const w of started.keys()) if (!w.isDead()) w.process.kill(signal);
        return;
      }
      stopping = true;
      log.info(`${signal}: stopping ${started.size} processes.`);
      for (const w of started.keys()) if (w.isConnected()) w.send(STOP_MESSAGE);
      if (started.size === 0) resolve(exitCode);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    cluster.on('listening', (worker) => listened.add(worker));
    cluster.on('exit', (worker, code, signal) => {
      const since = started.get(worker) ?? 0;
      started.delete(worker);
      const how = signal ?? `exit ${code}`;
      if (!stopping) {
        if (!listened.has(worker) && Date.now() - since < START_WINDOW_MS && code !== 0) {
          log.error(`process ${worker.process.pid} failed to start (${how}); stopping the others.`);
          exitCode = code ?? 1;
          stop('SIGTERM');
        } else {
          log.warn(`process ${worker.process.pid} ended (${how}); starting another in ${RESTART_DELAY_MS} ms.`);
          setTimeout(() => (stopping ? undefined : fork()), RESTART_DELAY_MS).unref();
          return;
        }
      } else if (code !== 0 && code !== null && exitCode === 0) exitCode = code;
      if (started.size === 0) resolve(exitCode);
    });

    for (let i = 0; i < processes; i++) fork();
  });
}

/** True in a copy started by superviseCopies (it then runs the command itself). */
export const isSupervisedCopy = (): boolean => cluster.isWorker;

const STOP_MESSAGE = 'jobfleet:stop';

/** In a copy: calls `stop` when the supervisor asks it to shut down. */
export function onSupervisorStop(stop: () => void): void {
  process.on('message', (m) => {
    if (m === STOP_MESSAGE) stop();
  });
}
