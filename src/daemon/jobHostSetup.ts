// Where the node's jobs run, chosen at start, and what an earlier daemon left is taken over: with
// the native launcher, a running launcher's jobs are adopted (and only what it does not hold is
// ended); a new launcher, or the in-process host, first ends whatever a dead daemon left running.
import { join } from 'node:path';
import type { ServeConfig } from '../config/serveConfig.js';
import { monotonicNowMs, type Clock } from '../runtime/clock.js';
import type { JobCgroups } from '../runtime/jobCgroups.js';
import type { JobHost, LauncherStatus } from '../runtime/jobHost.js';
import { InProcessJobHost } from '../runtime/inProcessJobHost.js';
import { ProcessGroupLauncher } from '../runtime/jobLauncher.js';
import type { LauncherConnection } from '../runtime/launcher/launcherConnection.js';
import { builtLauncherPath, openLauncher, type OpenedLauncher } from '../runtime/launcher/launcherProcess.js';
import { NativeJobHost, type Adoption } from '../runtime/launcher/nativeJobHost.js';
import { endLeftoverJobCgroups } from '../runtime/leftoverJobCgroups.js';
import { openProgram } from '../runtime/programsDir.js';
import type { SqliteStore } from '../runtime/sqliteStore.js';
import { endOrphans } from '../supervisor/orphanRecovery.js';
import type { SupervisorLogger } from '../supervisor/supervisor.js';

/** What a dead daemon's jobs left in their cgroups gets after SIGTERM, before SIGKILL. */
const LEFTOVER_GRACE_MS = 1000;

export interface JobHostSetup {
  readonly host: JobHost;
  /** The node's clock (anchored where the launcher's is). */
  readonly clock: Clock;
  /** What a running launcher holds, for the supervisor to adopt; null: start again what was started. */
  readonly adoption: Adoption | null;
  readonly status: LauncherStatus;
  /** The connection to the native launcher, null in-process. */
  readonly connection: LauncherConnection | null;
}

export interface JobHostSetupOptions {
  readonly config: ServeConfig;
  readonly store: SqliteStore;
  readonly nodeId: string;
  readonly cgroups: JobCgroups | null;
  readonly logger: SupervisorLogger;
  /** A launcher already connected (to replace the daemon that held it). */
  readonly opened: OpenedLauncher | null;
}

export async function setUpJobHost(options: JobHostSetupOptions): Promise<JobHostSetup> {
  const { config } = options;
  const binary = config.launcherBinary ?? builtLauncherPath();
  if (config.launcher === 'native' && binary === null) {
    throw new Error('--launcher native: the launcher was not built (no C compiler was found at install; see npm run build)');
  }
  if (options.opened || (config.launcher !== 'in-process' && binary !== null)) {
    const opened = options.opened ?? (await openLauncher({ binary: binary as string, dataDir: config.dataDir, nodeId: options.nodeId, replace: false }));
    return nativeHost(options, opened);
  }
  const reason =
    config.launcher === 'in-process'
      ? 'jobs run in the daemon\'s process (--launcher in-process): they end with it'
      : 'no launcher was built (no C compiler at install): jobs run in the daemon\'s process and end with it';
  options.logger.warn({ launcher: 'in-process' }, reason);
  await endWhatWasLeft(options, null);
  const host = new InProcessJobHost({
    launcher: new ProcessGroupLauncher(options.cgroups, (jobKey, error) =>
      options.logger.warn({ jobKey, err: error }, 'a job could not get a cgroup of its own; it is tracked by its process group and mark'),
    ),
    logsDir: join(config.dataDir, 'logs'),
    logMaxBytes: config.logMaxBytes,
    clock: monotonicNowMs,
    releaseWaiter: config.releaseWaiter,
    openProgram: (name) => openProgram(config.programsDir, name),
    onLogError: (processId, path, error) => options.logger.error({ processId, path, err: error }, 'cannot write a job log; its output is dropped until the file is writable'),
  });
  return { host, clock: monotonicNowMs, adoption: null, status: { mode: 'in-process', pid: null, reason }, connection: null };
}

async function nativeHost(options: JobHostSetupOptions, opened: OpenedLauncher): Promise<JobHostSetup> {
  const { config, store, logger } = options;
  const { connection, hello } = opened;
  const host = new NativeJobHost({
    connection,
    hello,
    logsDir: join(config.dataDir, 'logs'),
    logMaxBytes: config.logMaxBytes,
    programsDir: config.programsDir,
    cgroups: options.cgroups,
    cwd: process.cwd(),
    onLogError: (processId, path, code) => logger.error({ processId, path, code }, 'cannot write a job log; its output is dropped until the file is writable'),
  });
  if (opened.started) {
    await endWhatWasLeft(options, null);
    store.setLauncherEpoch(hello.epoch);
    const reason = `jobs run under the launcher (pid ${hello.pid}), which this daemon started`;
    logger.info({ launcher: 'native', launcherPid: hello.pid }, reason);
    return { host, clock: host.clock, adoption: null, status: { mode: 'native', pid: hello.pid, reason }, connection };
  }
  // Its jobs, and those whose end it still has to tell, are adopted; a stored job it does not know is ended.
  const adoptedPids = new Set([...host.adoption.jobs.values()].map((job) => job.pid));
  for (const event of host.adoption.events) if (event.kind === 'JOB_ENDED') adoptedPids.add(event.pid);
  if (store.launcherEpoch() !== hello.epoch) store.setLauncherEpoch(hello.epoch);
  await endWhatWasLeft(options, adoptedPids);
  const reason = `jobs run under the launcher (pid ${hello.pid}), which was running: ${host.adoption.jobs.size} live jobs adopted, ${host.adoption.events.length} events taken`;
  logger.info({ launcher: 'native', launcherPid: hello.pid, adopted: host.adoption.jobs.size }, reason);
  return { host, clock: host.clock, adoption: host.adoption, status: { mode: 'native', pid: hello.pid, reason }, connection };
}

/**
 * Before anything is started: nothing a previous daemon left behind runs unmanaged. adoptedPids
 * null: no launcher holds anything, every job left is ended (and every leftover job cgroup).
 */
async function endWhatWasLeft({ store, nodeId, cgroups, logger }: JobHostSetupOptions, adoptedPids: ReadonlySet<number> | null): Promise<void> {
  await endOrphans({ store, nodeId, clock: monotonicNowMs, logger, adoptedPids });
  if (cgroups && adoptedPids === null) {
    // After the recorded jobs are ended (and their runs told truthfully): what is left escaped them.
    const sweep = await endLeftoverJobCgroups(cgroups, LEFTOVER_GRACE_MS);
    if (sweep.found > 0) logger.warn(sweep, 'emptied and removed job cgroups a previous daemon left');
  }
}
