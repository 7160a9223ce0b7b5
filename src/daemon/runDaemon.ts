// Starts the daemon from a config: data dir, store (locked), token, TLS, supervisor, HTTP; and
// stops it cleanly.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { buildHttpApp } from '../api/buildHttpApp.js';
import type { ServeConfig } from '../config/serveConfig.js';
import { detectJobCgroups, type CgroupDetection } from '../runtime/cgroupDetection.js';
import { monotonicNowMs } from '../runtime/clock.js';
import { endLeftoverJobCgroups } from '../runtime/leftoverJobCgroups.js';
import { ProcessGroupLauncher } from '../runtime/jobLauncher.js';
import { partitionsWithoutCgroups } from '../runtime/partitionLimits.js';
import { ProcessLogs } from '../runtime/processLogs.js';
import { resolveProgram } from '../runtime/programsDir.js';
import { SqliteStore } from '../runtime/sqliteStore.js';
import { loadTlsMaterial } from '../runtime/tlsMaterial.js';
import { loadNodeToken } from '../runtime/tokenFile.js';
import { PartitionTokens } from '../supervisor/partitionTokens.js';
import { Partitions } from '../supervisor/partitions.js';
import { firstEventId, ProcessEvents } from '../supervisor/processEvents.js';
import { endOrphans } from '../supervisor/orphanRecovery.js';
import { Supervisor } from '../supervisor/supervisor.js';

/** What a dead daemon's jobs left in their cgroups gets after SIGTERM, before SIGKILL. */
const LEFTOVER_GRACE_MS = 1000;

export interface RunningDaemon {
  readonly url: string;
  /** Stops taking changes, ends every job (grace, then kill), records it, closes the store. */
  stop(): Promise<void>;
  /** SIGKILL to every job now (a stop under way then completes at once). */
  killAllJobs(): void;
}

export async function runDaemon(config: ServeConfig, print: (line: string) => void): Promise<RunningDaemon> {
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // First, so that a second daemon on this data dir is refused before it touches anything.
  const store = new SqliteStore(join(config.dataDir, 'sigma.db'));
  let detection: CgroupDetection | null = null;
  try {
    const node = store.claimNode();
    if (node.copied) logger.warn('this data dir is a copy of another: it is a new node, and the jobs its store recorded are left to the original');
    detection = config.jobCgroups
      ? detectJobCgroups({ nodeId: node.nodeId })
      : { cgroups: null, tracking: { mode: 'process-group', parentPath: null, reason: 'no job cgroups (--no-cgroups): jobs are tracked by process group and environment mark' } };
    return await serve(config, store, node.nodeId, detection, logger, print);
  } catch (error) {
    // A daemon that cannot start leaves no cgroup behind (it has started no job).
    detection?.cgroups?.removeParent();
    store.close();
    throw error;
  }
}

async function serve(
  config: ServeConfig,
  store: SqliteStore,
  nodeId: string,
  { cgroups, tracking }: CgroupDetection,
  logger: pino.Logger,
  print: (line: string) => void,
): Promise<RunningDaemon> {
  mkdirSync(join(config.dataDir, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(config.programsDir, { recursive: true, mode: 0o755 });
  const token = loadNodeToken(config.dataDir, config.token);
  // Said at once, so that a start that fails later still shows what it generated.
  if (token.generatedPath) print(`generated the node token (saved in ${token.generatedPath}): ${token.token}`);
  const tls = config.tls
    ? await loadTlsMaterial({ dataDir: config.dataDir, host: config.host, certPath: config.tlsCertPath, keyPath: config.tlsKeyPath })
    : null;
  if (tls?.generated) print(`generated a self-signed certificate for ${config.host}: ${tls.certPath}`);
  // Whether a process's output is written shows on it (outputError): clients are told of each change.
  let supervisor: Supervisor | null = null;
  const logs = new ProcessLogs(
    join(config.dataDir, 'logs'),
    config.logMaxBytes,
    (processId, path, error) => {
      logger.error({ processId, path, err: error }, 'cannot write a job log; its output is dropped until the file is writable');
      supervisor?.tellOutputChange(processId);
    },
    (processId) => supervisor?.tellOutputChange(processId),
  );
  logger.info({ jobTracking: tracking.mode, cgroup: tracking.parentPath }, tracking.reason);
  // Before anything is started: nothing a previous daemon left behind runs unmanaged.
  await endOrphans({ store, nodeId, clock: monotonicNowMs, logger });
  if (cgroups) {
    // After the recorded jobs are ended (and their runs told truthfully): what is left escaped them.
    const sweep = await endLeftoverJobCgroups(cgroups, LEFTOVER_GRACE_MS);
    if (sweep.found > 0) logger.warn(sweep, 'emptied and removed job cgroups a previous daemon left');
  }
  const events = new ProcessEvents(firstEventId(Date.now()), (error) => logger.error({ err: error }, 'an event listener failed'));
  const partitionCgroups = partitionsWithoutCgroups(tracking.reason);
  const unenforceable = Object.entries(partitionCgroups.support).filter(([, reason]) => reason !== null);
  if (unenforceable.length > 0) logger.warn(Object.fromEntries(unenforceable), 'partition limits this node cannot enforce (maxRunning always holds)');
  const partitions = new Partitions(store.partitions, partitionCgroups, logger);
  partitions.load();
  const partitionTokens = new PartitionTokens(store.partitions);
  partitions.onRemoved((name) => partitionTokens.forgetPartition(name));
  supervisor = new Supervisor({
    partitions,
    store,
    launcher: new ProcessGroupLauncher(cgroups, (jobKey, error) =>
      logger.warn({ jobKey, err: error }, 'a job could not get a cgroup of its own; it is tracked by its process group and mark'),
    ),
    logs,
    events,
    clock: monotonicNowMs,
    logger,
    nodeId,
    findStraysByMark: cgroups === null,
    maxRunning: config.maxRunning,
    maxProcesses: config.maxProcesses,
    releaseWaiter: config.releaseWaiter,
    baseEnv: config.childBaseEnv,
    resolveProgram: (name) => resolveProgram(config.programsDir, name),
  });
  supervisor.load();

  const app = await buildHttpApp({
    tls,
    token: token.token,
    supervisor,
    partitions,
    partitionTokens,
    events,
    audit: store,
    logPathOf: (processId, stream) => logs.pathOf(processId, stream),
    clock: monotonicNowMs,
    metricsPublic: config.metricsPublic,
    maxStreams: config.maxStreams,
    maxBodyBytes: config.maxBodyBytes,
    authFailuresPerMinute: config.authFailuresPerMinute,
    maxDefinitionBytes: config.maxDefinitionBytes,
    logger,
    version: packageVersion(),
    jobTracking: tracking,
    limitSupport: partitionCgroups.support,
  });
  // Listening before any job is restarted: a daemon that cannot bind its port starts nothing.
  await app.listen({ host: config.host, port: config.port });
  const { port } = app.server.address() as AddressInfo;
  const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;
  // Where the command line finds this daemon by default.
  const daemonFile = join(config.dataDir, 'daemon.json');
  writeFileSync(daemonFile, `${JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() })}\n`, { mode: 0o600 });

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: no more requests, ending every job');
      // The listener closes and jobs are ended at once; requests under way finish (a change
      // that has not begun yet is refused with 503).
      supervisor.refuseChanges();
      await Promise.all([app.close(), supervisor.shutdown()]);
      if (cgroups) {
        // Every job has ended by now; a cgroup still here is one whose members were given up on.
        const sweep = await endLeftoverJobCgroups(cgroups, LEFTOVER_GRACE_MS);
        if (!cgroups.removeParent()) logger.warn({ ...sweep, cgroup: tracking.parentPath }, 'job cgroups are left that could not be emptied; the next start tries again');
      }
      store.close();
      rmSync(daemonFile, { force: true });
      logger.info('stopped');
      logger.flush();
    })();
    return stopping;
  };

  await supervisor.restartStarted();
  print(`sigma serving ${url}`);
  print(`data dir: ${config.dataDir}`);
  return { url, stop, killAllJobs: () => supervisor.killAllJobs() };
}

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}
