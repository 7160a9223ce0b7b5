// At boot, before anything starts: the jobs nobody holds any more are ended, and each one's run
// is recorded. With the launcher alive, its jobs are adopted (docs/launcher.md) and only a stored
// job it does not know is such an orphan. Without it (in-process jobs, or a launcher that died),
// every job left running is: its output pipes are gone and a process that is not sigma's child has
// no exit status to collect, so what an adopted one did could never be shown truthfully. A started
// process is then started again as after any restart.
import type { LastExit, RunRecord } from '../core/processModel.js';
import { endProcesses, findMarkedProcesses, hasNodeMark, type MarkedProcess } from '../runtime/markedProcesses.js';
import { isSameLiveProcess } from '../runtime/processGroup.js';
import type { ProcessStore, StoredProcess } from '../runtime/sqliteStore.js';
import type { SupervisorLogger } from './supervisor.js';

export interface OrphanRecoveryOptions {
  readonly store: ProcessStore;
  readonly nodeId: string;
  readonly clock: () => number;
  readonly logger: SupervisorLogger;
  /**
   * The jobs a running launcher holds (or told the end of): those are adopted, not ended, and
   * marked processes are left to it. Null: no launcher holds anything.
   */
  readonly adoptedPids?: ReadonlySet<number> | null;
}

const LEFT_RUNNING = 'left running by a daemon that stopped without ending it; ended at the next boot';
const ENDED_UNSEEN = 'ended while no daemon was watching; its exit status is unknown';

/** Ends every job of this node still alive from an earlier daemon; answers how many processes it ended. */
export async function endOrphans({ store, nodeId, clock, logger, adoptedPids = null }: OrphanRecoveryOptions): Promise<number> {
  // The launcher's jobs and what they started carry the mark too: with a launcher, only stored jobs it does not hold.
  const marked = adoptedPids ? [] : findMarkedProcesses(nodeId);
  const entries = store.loadAll().filter((entry) => !(entry.job && adoptedPids?.has(entry.job.pid)));
  // All at once: a boot waits for the longest grace, not for their sum.
  const ended = await Promise.all(entries.map((entry) => endOrphansOf(entry, marked, { store, nodeId, clock, logger })));
  // Marked processes of a process that no longer exists.
  const known = new Set(store.loadAll().map((entry) => entry.definition.id));
  const ownerless: MarkedProcess[] = marked.filter((found) => !known.has(found.processId));
  if (ownerless.length > 0) {
    const result = await endProcesses(ownerless, 0);
    logger.warn({ pids: ownerless.map((found) => found.pid), left: result.left }, 'ended processes of deleted processes that a previous daemon left running');
  }
  return ended.reduce((sum, count) => sum + count, ownerless.length);
}

async function endOrphansOf(entry: StoredProcess, marked: readonly MarkedProcess[], { store, nodeId, clock, logger }: OrphanRecoveryOptions): Promise<number> {
  const { id: processId, spec } = entry.definition;
  const strays = marked.filter((found) => found.processId === processId);
  const job = entry.job;
  if (!job && strays.length === 0) return 0;
  // The recorded leader, if it is still the same process (start time) and ours (the mark).
  const leaderAlive = job !== null && isSameLiveProcess(job.pid, job.startTicks) && hasNodeMark(job.pid, nodeId) !== false;
  const targets: { pid: number; startTicks: number | null }[] = [...strays];
  if (leaderAlive && !strays.some((stray) => stray.pid === job.pid)) targets.push({ pid: job.pid, startTicks: job.startTicks });
  const result = targets.length > 0 ? await endProcesses(targets, spec.stopTimeoutMs) : { killed: false, left: [] };
  if (targets.length > 0) {
    logger.warn({ processId, pids: targets.map((target) => target.pid), left: result.left }, 'ended processes a previous daemon left running');
  }
  if (!job) return targets.length;
  const endedAtMs = clock();
  const error = result.left.length > 0 ? `${LEFT_RUNNING}; could not end: ${result.left.join(', ')}` : leaderAlive ? LEFT_RUNNING : ENDED_UNSEEN;
  const signal = leaderAlive ? (result.killed ? 'SIGKILL' : 'SIGTERM') : null;
  const run: RunRecord = {
    pid: job.pid,
    startedAtMs: job.startedAtMs,
    endedAtMs,
    exitCode: null,
    signal,
    releaseAtMs: null,
    error,
    endedBySigma: leaderAlive,
    oomKilled: false,
  };
  const lastExit: LastExit = { code: null, signal, atMs: endedAtMs, durationMs: endedAtMs - job.startedAtMs, error, oomKilled: false };
  store.saveState(processId, { intent: entry.intent, counters: entry.counters, lastExit, job: null, launcherSeq: entry.launcherSeq, restart: entry.restart }, run, 'acknowledged');
  return targets.length;
}
