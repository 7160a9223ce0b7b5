// Where the node's jobs run, chosen at start, and what an earlier daemon left is taken over: with
// the native launcher, a running launcher's jobs are adopted (and only what it does not hold is
// ended); a new launcher, or the in-process host, finds whatever a dead daemon left running, for
// the supervisor to end while the daemon serves (Leftovers).
import { join } from 'node:path';
import type { ServeConfig } from '../config/serveConfig.js';
import { monotonicNowMs, type Clock } from '../runtime/clock.js';
import type { JobCgroup, JobCgroups } from '../runtime/jobCgroups.js';
import type { JobHost, LauncherStatus } from '../runtime/jobHost.js';
import { InProcessJobHost } from '../runtime/inProcessJobHost.js';
import { ProcessGroupLauncher } from '../runtime/jobLauncher.js';
import type { LauncherConnection } from '../runtime/launcher/launcherConnection.js';
import { builtLauncherPath, openLauncher, type OpenedLauncher } from '../runtime/launcher/launcherProcess.js';
import { NativeJobHost, type Adoption } from '../runtime/launcher/nativeJobHost.js';
import { endJobCgroups } from '../runtime/leftoverJobCgroups.js';
import { openProgram } from '../runtime/programsDir.js';
import type { SqliteStore } from '../runtime/sqliteStore.js';
import { endOrphans, endOwnerless, surveyOrphans, type Orphan } from '../supervisor/orphanRecovery.js';
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
  /** What a dead daemon left running, to be ended while the daemon serves. */
  readonly leftovers: Leftovers;
  /** Descriptors of the daemon's own that running jobs hold: none under the launcher, which has its own. */
  readonly jobDescriptors: () => number;
}

/**
 * Jobs no one holds any more, found before the daemon serves: each process's for the supervisor
 * to end (supervisor.endLeftovers), then `endTheRest` for what no process owns.
 */
export interface Leftovers {
  readonly orphans: readonly Orphan[];
  /** Empties and removes the job cgroups found at boot of an orphan's process (before it starts again). */
  endCgroupsOf(processId: number): Promise<void>;
  /** Marked processes of deleted processes, then the other job cgroups found at boot (what escaped everything else). */
  endTheRest(): Promise<void>;
}

const NO_LEFTOVERS: Leftovers = { orphans: [], endCgroupsOf: async () => {}, endTheRest: async () => {} };

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
  const leftovers = findWhatWasLeft(options);
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
  return {
    host,
    clock: monotonicNowMs,
    adoption: null,
    status: { mode: 'in-process', pid: null, reason },
    connection: null,
    leftovers,
    jobDescriptors: () => host.descriptorsHeld(),
  };
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
    const leftovers = findWhatWasLeft(options);
    recordEpoch(store, hello.epoch, logger);
    const reason = `jobs run under the launcher (pid ${hello.pid}), which this daemon started`;
    logger.info({ launcher: 'native', launcherPid: hello.pid }, reason);
    return { host, clock: host.clock, adoption: null, status: { mode: 'native', pid: hello.pid, reason }, connection, leftovers, jobDescriptors: () => 0 };
  }
  // Its jobs, and those whose end it still has to tell, are adopted; a stored job it does not know is ended.
  const adoptedPids = new Set([...host.adoption.jobs.values()].map((job) => job.pid));
  for (const event of host.adoption.events) if (event.kind === 'JOB_ENDED') adoptedPids.add(event.pid);
  if (store.launcherEpoch() !== hello.epoch) recordEpoch(store, hello.epoch, logger);
  // A stored job the running launcher does not know (rare): ended before the adopted ones are decided on.
  await endOrphans({ store, nodeId: options.nodeId, clock: monotonicNowMs, logger, adoptedPids });
  const reason = `jobs run under the launcher (pid ${hello.pid}), which was running: ${host.adoption.jobs.size} live jobs adopted, ${host.adoption.events.length} events taken`;
  logger.info({ launcher: 'native', launcherPid: hello.pid, adopted: host.adoption.jobs.size }, reason);
  return { host, clock: host.clock, adoption: host.adoption, status: { mode: 'native', pid: hello.pid, reason }, connection, leftovers: NO_LEFTOVERS, jobDescriptors: () => 0 };
}

/**
 * Before anything is started: what a previous daemon left behind is found (no launcher holds
 * anything), to be ended while the daemon serves. The job cgroups are listed now, before this
 * daemon makes any of its own.
 */
function findWhatWasLeft({ store, nodeId, cgroups, logger }: JobHostSetupOptions): Leftovers {
  const { orphans, ownerless } = surveyOrphans({ store, nodeId, clock: monotonicNowMs });
  const leftoverCgroups: JobCgroup[] = cgroups?.leftovers() ?? [];
  if (orphans.length === 0 && ownerless.length === 0 && leftoverCgroups.length === 0) return NO_LEFTOVERS;
  const orphaned = new Set(orphans.map((orphan) => orphan.processId));
  const cgroupsOf = new Map<number, JobCgroup[]>();
  const unowned: JobCgroup[] = [];
  for (const cgroup of leftoverCgroups) {
    const processId = processIdOfCgroup(cgroup.path);
    if (processId === null || !orphaned.has(processId)) unowned.push(cgroup);
    else cgroupsOf.set(processId, [...(cgroupsOf.get(processId) ?? []), cgroup]);
  }
  const sweep = async (list: readonly JobCgroup[]): Promise<void> => {
    if (list.length === 0) return;
    const swept = await endJobCgroups(list, LEFTOVER_GRACE_MS);
    if (swept.found > 0) logger.warn(swept, 'emptied and removed job cgroups a previous daemon left');
  };
  logger.warn(
    { processes: orphans.map((orphan) => orphan.processId), pids: orphans.flatMap((orphan) => orphan.targets.map((target) => target.pid)) },
    'a previous daemon left jobs running: they are ended while this one serves, and their processes take no operation until then',
  );
  // After the recorded jobs are ended (and their runs told truthfully): what is left in their cgroups escaped them.
  return {
    orphans,
    endCgroupsOf: (processId) => sweep(cgroupsOf.get(processId) ?? []),
    endTheRest: async () => {
      await endOwnerless(ownerless, logger);
      await sweep(unowned);
    },
  };
}

/** The process a job cgroup was made for (`process-<id>`, or `process-<id>.<n>`), from its name. */
function processIdOfCgroup(path: string): number | null {
  const match = /(?:^|\/)process-(\d+)(?:\.\d+)?$/.exec(path);
  return match ? Number(match[1]) : null;
}

/** The launcher's epoch in the store, or, while the store refuses writes, with the first change it takes. */
function recordEpoch(store: SqliteStore, epoch: number, logger: SupervisorLogger): void {
  if (!store.setLauncherEpoch(epoch)) logger.warn({ epoch }, 'the store cannot be written now (disk full or read-only?): the launcher\'s epoch is written with the first change the store takes');
}
