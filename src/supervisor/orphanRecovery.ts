// At boot: the jobs nobody holds any more are found, then ended, and each one's run is recorded.
// With the launcher alive, its jobs are adopted (docs/launcher.md) and only a stored job it does
// not know is such an orphan. Without it (in-process jobs, or a launcher that died), every job
// left running is: its output pipes are gone and a process that is not sigma's child has no exit
// status to collect, so what an adopted one did could never be shown truthfully. Finding them is
// quick and done before the daemon serves; ending them takes each one's grace, and the supervisor
// does it while the daemon serves (supervisor.endLeftovers). A started process is then started
// again as after any restart.
import type { LastExit, RunRecord } from '../core/processModel.js';
import { endProcesses, findMarkedProcesses, hasNodeMark, type EndResult, type MarkedProcess } from '../runtime/markedProcesses.js';
import { isSameLiveProcess } from '../runtime/processGroup.js';
import type { PersistedState, ProcessStore, StoredJob } from '../runtime/sqliteStore.js';
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

/** What a previous daemon left alive of one process: its job, or only what left the job's group. */
export interface Orphan {
  readonly processId: number;
  /** Its recorded job, when the leader is still that same live process; null: only strays are left. */
  readonly job: StoredJob | null;
  /** Every process to end: the leader and what carries the process's mark. */
  readonly targets: readonly { readonly pid: number; readonly startTicks: number | null }[];
  readonly graceMs: number;
}

export interface OrphanSurvey {
  readonly orphans: readonly Orphan[];
  /** Marked processes of a process that no longer exists. */
  readonly ownerless: readonly MarkedProcess[];
}

/** What ending an orphan's job records: its run, and the process's last exit. */
export interface OrphanEnd {
  readonly run: RunRecord;
  readonly lastExit: LastExit;
}

const LEFT_RUNNING = 'left running by a daemon that stopped without ending it; ended at the next boot';
const ENDED_UNSEEN = 'ended while no daemon was watching; its exit status is unknown';

/**
 * Finds what earlier daemons of this node left alive, signalling nothing. A recorded job whose
 * leader is gone is recorded now (it ended unseen); what is alive is returned, to be ended.
 */
export function surveyOrphans({ store, nodeId, clock, adoptedPids = null }: Omit<OrphanRecoveryOptions, 'logger'>): OrphanSurvey {
  // The launcher's jobs and what they started carry the mark too: with a launcher, only stored jobs it does not hold.
  const marked = adoptedPids ? [] : findMarkedProcesses(nodeId);
  const orphans: Orphan[] = [];
  const known = new Set<number>();
  for (const entry of store.loadAll()) {
    const { id: processId, spec } = entry.definition;
    known.add(processId);
    const job = entry.job;
    if (job && adoptedPids?.has(job.pid)) continue;
    const strays = marked.filter((found) => found.processId === processId);
    // The recorded leader, if it is still the same process (start time) and ours (the mark).
    const leaderAlive = job !== null && isSameLiveProcess(job.pid, job.startTicks) && hasNodeMark(job.pid, nodeId) !== false;
    if (job && !leaderAlive) {
      const endedAtMs = clock();
      saveEnd(store, processId, entry, endOf(job, endedAtMs, { leaderAlive: false, error: ENDED_UNSEEN, signal: null }));
    }
    const targets: { pid: number; startTicks: number | null }[] = [...strays];
    if (leaderAlive && !strays.some((stray) => stray.pid === job.pid)) targets.push({ pid: job.pid, startTicks: job.startTicks });
    if (targets.length > 0) orphans.push({ processId, job: leaderAlive ? job : null, targets, graceMs: spec.stopTimeoutMs });
  }
  return { orphans, ownerless: marked.filter((found) => !known.has(found.processId)) };
}

/**
 * Ends one orphan (SIGTERM, its grace, SIGKILL; SIGKILL at once when `hurry` aborts) and records
 * its job's run on top of `state`, the process's state as the store holds it. Null: it had no job
 * to record (only strays).
 */
export async function endOrphan(
  orphan: Orphan,
  state: Omit<PersistedState, 'job' | 'lastExit'>,
  { store, clock, logger }: Pick<OrphanRecoveryOptions, 'store' | 'clock' | 'logger'>,
  hurry?: AbortSignal,
): Promise<OrphanEnd | null> {
  const result: EndResult = await endProcesses(orphan.targets, orphan.graceMs, hurry);
  const pids = orphan.targets.map((target) => target.pid);
  logger.warn({ processId: orphan.processId, pids, left: result.left }, 'ended processes a previous daemon left running');
  if (!orphan.job) return null;
  const error = result.left.length > 0 ? `${LEFT_RUNNING}; could not end: ${result.left.join(', ')}` : LEFT_RUNNING;
  const end = endOf(orphan.job, clock(), { leaderAlive: true, error, signal: result.killed ? 'SIGKILL' : 'SIGTERM' });
  try {
    saveEnd(store, orphan.processId, state, end);
  } catch (saveError) {
    // The job has ended all the same; the next boot finds its leader gone and records that.
    logger.error({ err: saveError, processId: orphan.processId }, 'could not store the end of a job a previous daemon left');
  }
  return end;
}

/** Ends the marked processes of processes that no longer exist (no grace: nothing of theirs is wanted). */
export async function endOwnerless(ownerless: readonly MarkedProcess[], logger: SupervisorLogger): Promise<void> {
  if (ownerless.length === 0) return;
  const result = await endProcesses(ownerless, 0);
  logger.warn({ pids: ownerless.map((found) => found.pid), left: result.left }, 'ended processes of deleted processes that a previous daemon left running');
}

/**
 * Ends every job of this node still alive from an earlier daemon, and waits for it: for a running
 * launcher's daemon, whose stored jobs the launcher does not know (rare). Answers how many
 * processes it ended.
 */
export async function endOrphans(options: OrphanRecoveryOptions): Promise<number> {
  const { orphans, ownerless } = surveyOrphans(options);
  const states = new Map(options.store.loadAll().map((entry) => [entry.definition.id, entry]));
  // All at once: a boot waits for the longest grace, not for their sum.
  await Promise.all([
    ...orphans.map((orphan) => endOrphan(orphan, states.get(orphan.processId) as PersistedState, options)),
    endOwnerless(ownerless, options.logger),
  ]);
  return orphans.reduce((sum, orphan) => sum + orphan.targets.length, ownerless.length);
}

function endOf(job: StoredJob, endedAtMs: number, { leaderAlive, error, signal }: { leaderAlive: boolean; error: string; signal: string | null }): OrphanEnd {
  const run: RunRecord = {
    pid: job.pid,
    startedAtMs: job.startedAtMs,
    endedAtMs,
    exitCode: null,
    signal,
    deadlineMissed: false,
    releaseAtMs: null,
    error,
    endedBySigma: leaderAlive,
    oomKilled: false,
  };
  const lastExit: LastExit = { code: null, signal, atMs: endedAtMs, durationMs: endedAtMs - job.startedAtMs, error, oomKilled: false };
  return { run, lastExit };
}

function saveEnd(store: ProcessStore, processId: number, state: Omit<PersistedState, 'job' | 'lastExit'>, { run, lastExit }: OrphanEnd): void {
  store.saveState(processId, { intent: state.intent, counters: state.counters, lastExit, job: null, launcherSeq: state.launcherSeq, restart: state.restart }, run, 'acknowledged');
}
