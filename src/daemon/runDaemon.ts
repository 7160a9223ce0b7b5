// Starts the daemon from a config: data dir (refused if another user could change it), store
// (locked), token, TLS, where jobs run, supervisor, HTTP; and stops it cleanly, or hands it over
// to a daemon that replaces it.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino, { type Logger } from 'pino';
import { buildHttpApp } from '../api/buildHttpApp.js';
import { PACKAGE_JSON_PATH } from '../builtFiles.js';
import type { ServeConfig } from '../config/serveConfig.js';
import type { NodeLoad } from '../fleet/fleetMembership.js';
import { LocalNode } from '../fleet/localNode.js';
import { fleetNodeOf, removeMovedAway } from './fleetNode.js';
import { detectJobCgroups, withoutJobCgroups, type CgroupDetection } from '../runtime/cgroupDetection.js';
import { checkDataDir } from '../runtime/dataDirTrust.js';
import { endLeftoverJobCgroups } from '../runtime/leftoverJobCgroups.js';
import { builtLauncherPath, NothingToReplaceError, openLauncher, type OpenedLauncher } from '../runtime/launcher/launcherProcess.js';
import { MessageType } from '../runtime/launcher/launcherWire.js';
import { nodeIdFilePath, readNodeIdFile, writeNodeIdFile } from '../runtime/nodeIdFile.js';
import { readOpenFilesLimit } from '../runtime/openFilesLimit.js';
import { logPathOf } from '../runtime/processLogs.js';
import { replaceOwnFile } from '../runtime/ownFiles.js';
import { resolveProgram } from '../runtime/programsDir.js';
import { tightenSecretModes } from '../runtime/secretModes.js';
import { SqliteStore, StoreLockedError } from '../runtime/sqliteStore.js';
import { loadTlsMaterial } from '../runtime/tlsMaterial.js';
import { loadNodeToken } from '../runtime/tokenFile.js';
import { LocalPartitionChanges } from '../supervisor/partitionChanges.js';
import { PartitionTokens } from '../supervisor/partitionTokens.js';
import { Partitions } from '../supervisor/partitions.js';
import { EVENTS_KEPT, firstEventId, ProcessEvents } from '../supervisor/processEvents.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { connectionCeiling, connectionsAdmitted } from './connectionBudget.js';
import { setUpJobHost, type JobHostSetup } from './jobHostSetup.js';
import { readLowestNice } from '../runtime/niceLimit.js';

/** What a dead daemon's jobs left in their cgroups gets after SIGTERM, before SIGKILL. */
const LEFTOVER_GRACE_MS = 1000;
/** How long a clean stop waits for the launcher, which has nothing left to hold, to exit. */
const LAUNCHER_EXIT_WAIT_MS = 2000;

export interface RunningDaemon {
  readonly url: string;
  /** Stops taking changes, ends every job (grace, then kill), records it, closes the store. */
  stop(): Promise<void>;
  /** SIGKILL to every job now (a stop under way then completes at once). */
  killAllJobs(): void;
  /**
   * Settles when the daemon ends on its own: handed over to a daemon that replaced it (0), or
   * lost its launcher (1). The message says why.
   */
  readonly ended: Promise<{ readonly exitCode: number; readonly message: string }>;
}

export async function runDaemon(config: ServeConfig, print: (line: string) => void): Promise<RunningDaemon> {
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Before anything in it is read: a data dir another user prepared, or can change, is refused.
  checkDataDir(config.dataDir, config.programsDir, process.geteuid?.() ?? 0);
  tightenSecretModes(config.dataDir);
  // With --replace, the launcher first: the running daemon hands over (and frees the store) when it asks.
  const replaced = config.replace ? await takeOverLauncher(config) : null;
  // Then the store, so that a second daemon on this data dir is refused before it touches anything.
  let store: SqliteStore;
  try {
    store = new SqliteStore(join(config.dataDir, 'sigma.db'));
  } catch (error) {
    await replaced?.connection.end();
    if (error instanceof StoreLockedError && config.replace) {
      throw new Error(`${error.message}; it runs its jobs in its own process (no launcher) and cannot hand them over: stop it first`);
    }
    throw error;
  }
  let detection: CgroupDetection | null = null;
  try {
    const keptNodeId = readNodeIdFile(config.dataDir);
    const node = store.claimNode(keptNodeId, nodeIdFilePath(config.dataDir));
    if (node.copied) logger.warn('this data dir is a copy of another: it is a new node, and the jobs its store recorded are left to the original');
    if (replaced && replaced.hello.nodeId !== node.nodeId) throw new Error(`the launcher on this data dir belongs to node ${replaced.hello.nodeId}, not ${node.nodeId}`);
    // Written only when it changes: a full disk must not leave it empty.
    if (keptNodeId !== node.nodeId) writeNodeIdFile(config.dataDir, node.nodeId);
    detection = config.jobCgroups
      ? detectJobCgroups({ nodeId: node.nodeId })
      : withoutJobCgroups('no job cgroups (--no-cgroups): jobs are tracked by process group and environment mark');
    return await serve(config, store, node.nodeId, detection, replaced, logger, print);
  } catch (error) {
    // A daemon that cannot start leaves no cgroup behind (it has started no job).
    if (!replaced) detection?.cgroups?.removeParent();
    store.close();
    throw error;
  }
}

async function takeOverLauncher(config: ServeConfig): Promise<OpenedLauncher | null> {
  const binary = config.launcherBinary ?? builtLauncherPath();
  if (config.launcher === 'in-process' || binary === null) throw new Error('--replace needs the native launcher: in-process jobs cannot be handed over');
  // Nothing to take over on a data dir that never served (a plain start then).
  const nodeId = readNodeIdFile(config.dataDir);
  if (nodeId === null) return null;
  return openLauncher({ binary, dataDir: config.dataDir, nodeId, replace: true }).catch((error: Error) => {
    if (error instanceof NothingToReplaceError) return null;
    throw error;
  });
}

async function serve(
  config: ServeConfig,
  store: SqliteStore,
  nodeId: string,
  { cgroups, tracking, partitions: partitionCgroups }: CgroupDetection,
  replaced: OpenedLauncher | null,
  logger: pino.Logger,
  print: (line: string) => void,
): Promise<RunningDaemon> {
  const logsDir = join(config.dataDir, 'logs');
  mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  mkdirSync(config.programsDir, { recursive: true, mode: 0o755 });
  const token = loadNodeToken(config.dataDir, config.token);
  // Said at once, so that a start that fails later still shows what it generated.
  if (token.generatedPath) print(`generated the node token (saved in ${token.generatedPath}): ${token.token}`);
  const tls = config.tls
    ? await loadTlsMaterial({ dataDir: config.dataDir, host: config.host, certPath: config.tlsCertPath, keyPath: config.tlsKeyPath })
    : null;
  if (tls?.generated) print(`generated a self-signed certificate for ${config.host}: ${tls.certPath}`);
  logger.info({ jobTracking: tracking.mode, cgroup: tracking.parentPath }, tracking.reason);
  // In a fleet, before anything is started: what the fleet moved away while this node was down.
  const movedAway = config.fleet ? await removeMovedAway(config.fleet, store, logger) : [];
  // Before anything is started: what a previous daemon left is adopted or ended.
  const jobs: JobHostSetup = await setUpJobHost({ config, store, nodeId, cgroups, logger, opened: replaced });
  for (const processId of movedAway) await jobs.host.forget(processId);
  // Known once the fleet is set up (after the supervisor): a relocatable process's jobs are fenced.
  let relocatableHere: (processId: number) => boolean = () => false;
  // A job spawned is vouched for as long as the node's lease surely lives (at least a moment: it is fenced).
  let vouchableForMs = (): number => 1;
  const { clock } = jobs;
  const events = new ProcessEvents(
    firstEventId(Date.now(), store.eventIdsReservedBelow()),
    (error) => logger.error({ err: error }, 'an event listener failed'),
    EVENTS_KEPT,
    (belowId) => {
      try {
        store.reserveEventIdsBelow(belowId);
      } catch (error) {
        logger.warn({ err: error }, 'could not record the event ids given: after a restart with the clock set back, ids could repeat');
      }
    },
  );
  const unenforceable = Object.entries(partitionCgroups.support).filter(([, reason]) => reason !== null);
  if (unenforceable.length > 0) logger.warn(Object.fromEntries(unenforceable), 'partition limits this node cannot enforce (maxRunning always holds)');
  const partitions = new Partitions(store.partitions, partitionCgroups, logger);
  partitions.load();
  const partitionTokens = new PartitionTokens(store.partitions);
  partitions.onRemoved((name) => partitionTokens.forgetPartition(name));
  const supervisor = new Supervisor({
    partitions,
    store,
    host: jobs.host,
    events,
    clock,
    logger,
    nodeId,
    findStraysByMark: cgroups === null,
    maxRunning: config.maxRunning,
    maxProcesses: config.maxProcesses,
    maxTotalDefinitionBytes: config.maxTotalDefinitionBytes,
    baseEnv: config.childBaseEnv,
    resolveProgram: (name) => resolveProgram(config.programsDir, name),
    fenceMsOf: (processId) => (relocatableHere(processId) ? vouchableForMs() : 0),
  });
  // A process whose job a dead daemon left running shows that job, being ended, from the first request on.
  supervisor.load(jobs.adoption, jobs.leftovers.orphans);
  const fingerprint = tls ? new X509Certificate(tls.cert).fingerprint256 : null;
  const loadOf = (): NodeLoad => ({
    runningJobs: supervisor.list().filter(({ snapshot }) => snapshot.runtime.phase === 'RUNNING').length,
    partitions: partitions.list().map(({ definition }) => definition.name),
  });
  const localPartitions = new LocalPartitionChanges(supervisor, partitions, partitionTokens);
  const fleetPart = config.fleet
    ? fleetNodeOf({ fleet: config.fleet, supervisor, host: jobs.host, store, localPartitions, token: token.token, fingerprint, launcher: jobs.status.mode, loadOf, logger })
    : null;
  relocatableHere = (processId) => fleetPart?.processes.relocatable(processId) ?? false;
  vouchableForMs = () => Math.max(1, fleetPart?.node.membership.vouchableForMs() ?? 0);
  const fleet = fleetPart?.node ?? null;
  const localNode = fleet ? null : new LocalNode(fingerprint, jobs.status.mode, loadOf);

  const openFiles = readOpenFilesLimit();
  const ceiling = connectionCeiling(openFiles.soft, config.maxStreams);
  const maxConnections = config.maxConnections ?? ceiling;
  if (maxConnections > ceiling) {
    logger.warn({ maxConnections, ceiling, openFilesLimit: openFiles.soft }, `--max-connections is past what the descriptor limit leaves after the reserve for jobs: at most ${ceiling} are held (raise the hard limit, ulimit -Hn, for more)`);
  }
  logger.info({ maxConnections: Math.min(maxConnections, ceiling), openFilesLimit: openFiles.soft }, 'client connections held at most');
  const app = await buildHttpApp({
    tls,
    token: token.token,
    supervisor,
    partitions,
    partitionTokens,
    partitionChanges: fleetPart?.partitions ?? localPartitions,
    events,
    audit: store,
    logPathOf: (processId, stream) => logPathOf(logsDir, processId, stream),
    clock,
    metricsPublic: config.metricsPublic,
    maxStreams: config.maxStreams,
    maxBodyBytes: config.maxBodyBytes,
    connectionsAdmitted: () => connectionsAdmitted(maxConnections, ceiling, jobs.jobDescriptors()),
    requestTimeoutMs: config.requestTimeoutMs,
    authFailuresPerMinute: config.authFailuresPerMinute,
    maxDefinitionBytes: config.maxDefinitionBytes,
    lowestNice: readLowestNice(),
    logger,
    version: packageVersion(),
    jobTracking: tracking,
    limitSupport: partitionCgroups.support,
    launcher: jobs.status,
    directory: fleet?.membership ?? (localNode as LocalNode),
    fleet: fleet?.routing ?? null,
  });
  // Listening before any job is restarted: a daemon that cannot bind its port starts nothing.
  await app.listen({ host: config.host, port: config.port });
  const { port } = app.server.address() as AddressInfo;
  const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;
  // Where the command line finds this daemon by default.
  const daemonFile = join(config.dataDir, 'daemon.json');
  const daemonFileWriter = writeDaemonFile(daemonFile, `${JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() })}\n`, logger);
  localNode?.serving(url);
  if (fleet) {
    try {
      await fleet.join(url);
    } catch (error) {
      await app.close();
      throw error;
    }
  }

  // What a dead daemon left is ended while this one serves (each with its grace, up to an hour);
  // its processes start again once theirs is gone.
  const leftoversEnded = supervisor
    .endLeftovers(jobs.leftovers.orphans, (processId) => jobs.leftovers.endCgroupsOf(processId))
    .then(() => jobs.leftovers.endTheRest())
    .catch((error: unknown) => logger.error({ err: error }, 'could not end what a previous daemon left'));

  let endDaemon: (ending: { exitCode: number; message: string }) => void = () => {};
  const ended = new Promise<{ exitCode: number; message: string }>((resolve) => (endDaemon = resolve));
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: no more requests, ending every job');
      // The listener closes and jobs are ended at once; requests under way finish (a change
      // that has not begun yet is refused with 503).
      supervisor.refuseChanges();
      await Promise.all([app.close(), supervisor.shutdown(), leftoversEnded]);
      // Only once every job has ended: the others may move a relocatable process as soon as this
      // node is down, and its job may still be in its grace.
      await fleet?.leave({ revoke: true });
      if (cgroups) {
        // Every job has ended by now; a cgroup still here is one whose members were given up on.
        const sweep = await endLeftoverJobCgroups(cgroups, LEFTOVER_GRACE_MS);
        if (!cgroups.removeParent()) logger.warn({ ...sweep, cgroup: tracking.parentPath }, 'job cgroups are left that could not be emptied; the next start tries again');
      }
      // Nothing is left for the launcher to hold: it stops, and the daemon exits after it.
      if (jobs.connection) {
        await jobs.connection.request(MessageType.SHUTDOWN, []).catch(() => undefined);
        await Promise.race([jobs.connection.whenClosed, sleep(LAUNCHER_EXIT_WAIT_MS)]);
        await jobs.connection.end();
      }
      store.close();
      daemonFileWriter.cancel();
      try {
        rmSync(daemonFile, { force: true });
      } catch (error) {
        // A read-only disk: the stop is clean all the same; the next start writes the file anew.
        logger.warn({ err: error, path: daemonFile }, 'could not remove daemon.json');
      }
      logger.info('stopped');
      logger.flush();
    })();
    return stopping;
  };
  // A daemon started with --replace asks for the jobs: this one stops deciding, closes its port and
  // its store, and tells the launcher it leaves. No job ends.
  const handOver = (): void => {
    if (stopping) return;
    stopping = (async () => {
      logger.info('handing the node over to a new daemon: no more requests, every job runs on');
      supervisor.detach();
      // The lease is left to expire: the new daemon joins under the same name within it, and the
      // fleet never sees the node down (nor moves its processes).
      await Promise.all([app.close(), fleet?.leave({ revoke: false })]);
      store.close();
      daemonFileWriter.cancel();
      await jobs.connection?.request(MessageType.DETACH, []).catch(() => undefined);
      await jobs.connection?.end();
      logger.info('handed over');
      logger.flush();
      endDaemon({ exitCode: 0, message: 'handed over to a new daemon (--replace); every job runs on' });
    })();
  };
  jobs.connection?.listen({
    onReplaceRequested: handOver,
    onClose: () => {
      if (stopping) return;
      // Its jobs have no parent that collects their ends: the next start ends and records them.
      const message = `the launcher (pid ${jobs.status.pid}) is gone; start sigma again: it ends and records what its jobs left`;
      logger.error(message);
      stopping = (async () => {
        supervisor.detach();
        // No launcher is left to fence them: its relocatable jobs are ended here, and the lease
        // is left to expire (the others move those processes once it has).
        fleet?.endRelocatableJobs();
        daemonFileWriter.cancel();
        await Promise.all([app.close(), fleet?.leave({ revoke: false })]);
        store.close();
        logger.flush();
        endDaemon({ exitCode: 1, message });
      })();
    },
  });

  if (!jobs.adoption) await supervisor.restartStarted();
  print(`sigma serving ${url}`);
  print(`data dir: ${config.dataDir}`);
  return { url, stop, killAllJobs: () => supervisor.killAllJobs(), ended };
}

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(PACKAGE_JSON_PATH, 'utf8')) as { version: string };
  return packageJson.version;
}

/** Errors of a disk that is full or cannot be written now: a daemon serves all the same. */
const DISK_REFUSALS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EIO']);
const DAEMON_FILE_RETRY_MS = 2000;

/**
 * Writes daemon.json, where the command line finds the daemon. On a disk that refuses it (full,
 * read-only), the daemon serves all the same and writes it once the disk takes it.
 */
function writeDaemonFile(path: string, text: string, logger: Logger): { cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  let warned = false;
  const attempt = (): void => {
    timer = null;
    try {
      replaceOwnFile(path, text, 0o600);
      if (warned) logger.info({ path }, 'daemon.json is written: the disk takes writes again');
    } catch (error) {
      if (!DISK_REFUSALS.has((error as NodeJS.ErrnoException).code ?? '')) {
        // At the start, the daemon does not start; later (a retry), it serves on without the file.
        if (!warned) throw error;
        logger.error({ err: error, path }, 'daemon.json cannot be written: the command line finds this daemon only with --url or SIGMA_URL');
        return;
      }
      if (!warned) logger.warn({ err: error, path }, 'daemon.json cannot be written (the disk refuses it): the command line finds this daemon only with --url or SIGMA_URL until it is; it is tried again every 2 s');
      warned = true;
      timer = setTimeout(attempt, DAEMON_FILE_RETRY_MS);
      timer.unref();
    }
  };
  attempt();
  return {
    cancel(): void {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
