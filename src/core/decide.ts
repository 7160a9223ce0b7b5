// The state machine: one pure function over every (phase, input) pair, following
// docs/state-model.md. A forbidden move is a FAILED outcome, never an exception.
import { deadlineMissReason, deadlineOf, resumedJob, suspendedJob } from './deadline.js';
import type { DeadlineMiss, Decision, Effect, Input, Outcome } from './decision.js';
import {
  EMPTY_RESTART_LOG,
  jobOf,
  restartPolicyOf,
  type Counters,
  type Intent,
  type Job,
  type LastExit,
  type ProcessSnapshot,
  type ReleaseGrid,
  type RestartLog,
  type RunRecord,
  type Runtime,
} from './processModel.js';
import { advancePast, lastPointAtOrBefore, pastRelease, pointsDueBy, startGrid } from './releaseGrid.js';
import { planRestart, wantsRestart, withRestartAt } from './restartPlan.js';

export const REASONS = {
  notStarted: 'not started: START it first',
  suspended: 'suspended: RESUME it first',
  busy: 'a job of this process is being launched or stopped; try again',
} as const;

const OK: Outcome = { result: 'OK' };
const failed = (reason: string): Outcome => ({ result: 'FAILED', reason });

export function decide(process: ProcessSnapshot, input: Input, nowMs: number): Decision {
  switch (input.kind) {
    case 'START':
      return start(process, input.slotFree, nowMs, input.delayMs ?? null);
    case 'STOP':
      return stop(process, nowMs);
    case 'SUSPEND':
      return suspend(process, nowMs);
    case 'RESUME':
      return resume(process, input.slotFree, nowMs);
    case 'RELEASE':
      return release(process, input.slotFree, nowMs);
    case 'RESTART_DUE':
      return restartDue(process, input.slotFree, nowMs);
    case 'SLOT_GRANTED':
      return slotGranted(process);
    case 'JOB_SPAWNED':
      return jobSpawned(process, input.pid, nowMs);
    case 'SPAWN_FAILED':
      return spawnFailed(process, input.error, nowMs);
    case 'JOB_ENDED':
      return jobEnded(process, input, nowMs);
    case 'RELEASED':
      return released(process, input, nowMs);
    case 'RELEASE_PASSED':
      return releasePassed(process, input);
    case 'RELEASE_FAILED':
      return releaseFailed(process, input, nowMs);
    case 'DEADLINE_DUE':
      return deadlineDue(process, nowMs);
    case 'SHUTDOWN':
      return shutdown(process, nowMs);
  }
}

interface Change {
  runtime?: Runtime;
  intent?: Intent;
  counters?: Partial<Counters>;
  effects?: Effect[];
  outcome?: Outcome;
  restartLog?: RestartLog;
  note?: string;
  deadlineMiss?: DeadlineMiss;
}

function change(p: ProcessSnapshot, c: Change, extra: Pick<Decision, 'run'> & { lastExit?: ProcessSnapshot['lastExit'] } = {}): Decision {
  const counters = c.counters ? addCounters(p.counters, c.counters) : p.counters;
  const next: ProcessSnapshot = {
    spec: p.spec,
    intent: c.intent ?? p.intent,
    runtime: c.runtime ?? p.runtime,
    counters,
    lastExit: extra.lastExit === undefined ? p.lastExit : extra.lastExit,
    restartLog: c.restartLog ?? p.restartLog,
  };
  const decision: Decision = { next, effects: c.effects ?? [] };
  return {
    ...decision,
    ...(c.outcome ? { outcome: c.outcome } : {}),
    ...(extra.run ? { run: extra.run } : {}),
    ...(c.note ? { note: c.note } : {}),
    ...(c.deadlineMiss ? { deadlineMiss: c.deadlineMiss } : {}),
  };
}

function addCounters(a: Counters, d: Partial<Counters>): Counters {
  return {
    runs: a.runs + (d.runs ?? 0),
    overruns: a.overruns + (d.overruns ?? 0),
    skipped: a.skipped + (d.skipped ?? 0),
    failures: a.failures + (d.failures ?? 0),
    restarts: a.restarts + (d.restarts ?? 0),
    deadlineMisses: a.deadlineMisses + (d.deadlineMisses ?? 0),
  };
}

const unchanged = (p: ProcessSnapshot, outcome?: Outcome): Decision => change(p, outcome ? { outcome } : {});

function launchOrQueue(
  slotFree: boolean,
  grid: ReleaseGrid | null,
  releaseAtMs: number | null,
  byOperation: boolean,
): { runtime: Runtime; effects: Effect[]; outcome?: Outcome } {
  if (slotFree) {
    return { runtime: { phase: 'LAUNCHING', grid, releaseAtMs, byOperation }, effects: [{ kind: 'SPAWN_JOB' }] };
  }
  return { runtime: { phase: 'READY', grid, releaseAtMs, heldJob: null }, effects: [], outcome: OK };
}

function start(p: ProcessSnapshot, slotFree: boolean, nowMs: number, delayMs: number | null): Decision {
  const r = p.runtime;
  switch (r.phase) {
    case 'DORMANT': {
      if (delayMs !== null) return delayedStart(p, nowMs + delayMs);
      if (p.spec.type === 'ONE_SHOT') {
        // The operator's START begins a new run of restarts: the backoff and the limit start afresh.
        const next = launchOrQueue(slotFree, null, null, true);
        return change(p, { ...next, intent: 'STARTED', restartLog: EMPTY_RESTART_LOG });
      }
      const grid = startGrid(nowMs, p.spec.periodMs);
      const next = launchOrQueue(slotFree, grid, nowMs, true);
      const arm: Effect = { kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs };
      // Armed once release 0's job exists: a launcher that releases by itself must not start
      // point 1 while START's own spawn is on its way (it would find that job running, or be first).
      return change(p, { ...next, effects: [...next.effects, arm], intent: 'STARTED' });
    }
    case 'WAITING':
    case 'RESTART_PENDING':
    case 'READY':
    case 'LAUNCHING':
    case 'RUNNING':
      return unchanged(p, OK);
    case 'STOPPING':
      return unchanged(p, failed(REASONS.busy));
    case 'SUSPENDED':
      return unchanged(p, failed(REASONS.suspended));
  }
}

/**
 * START with a delay: WAITING until atMs. A ONE_SHOT's job runs then; a PERIODIC's grid begins
 * there (its first release at atMs), which is how an operator sets its phase.
 */
function delayedStart(p: ProcessSnapshot, atMs: number): Decision {
  if (p.spec.type === 'ONE_SHOT') {
    return change(p, {
      runtime: { phase: 'RESTART_PENDING', restartAtMs: atMs, delayedStart: true },
      intent: 'STARTED',
      restartLog: EMPTY_RESTART_LOG,
      effects: [{ kind: 'ARM_RESTART', atMs }],
      outcome: OK,
    });
  }
  const grid: ReleaseGrid = { t0Ms: atMs, periodMs: p.spec.periodMs, nextReleaseAtMs: atMs };
  return change(p, { runtime: { phase: 'WAITING', grid }, intent: 'STARTED', effects: [{ kind: 'ARM_RELEASE', atMs }], outcome: OK });
}

/** Releases that fell inside a suspension are skipped, never run late. */
function skipSuspendedReleases(grid: ReleaseGrid | null, nowMs: number): { grid: ReleaseGrid | null; skipped: number } {
  if (!grid) return { grid: null, skipped: 0 };
  return { grid: advancePast(grid, nowMs), skipped: pointsDueBy(grid, nowMs) };
}

/**
 * Points at or before nowMs that a late release timer has not handled yet: STOP cancels that
 * timer, so they are counted here as the release would have counted them.
 */
function pointsLeftByLateTimer(grid: ReleaseGrid | null, nowMs: number): number {
  return grid ? pointsDueBy(grid, nowMs) : 0;
}

function stop(p: ProcessSnapshot, nowMs: number): Decision {
  const r = p.runtime;
  const cancel: Effect = { kind: 'CANCEL_RELEASE' };
  switch (r.phase) {
    case 'DORMANT':
      return unchanged(p, OK);
    case 'WAITING': {
      const skipped = pointsLeftByLateTimer(r.grid, nowMs);
      return change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', counters: { skipped }, effects: [cancel], outcome: OK });
    }
    case 'RESTART_PENDING':
      return change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', effects: [{ kind: 'CANCEL_RESTART' }], outcome: OK });
    case 'READY': {
      const overruns = pointsLeftByLateTimer(r.grid, nowMs);
      if (r.heldJob) return endJob(p, r.heldJob, 'STOPPED', { overruns });
      return change(p, {
        runtime: { phase: 'DORMANT' },
        intent: 'STOPPED',
        counters: { skipped: r.releaseAtMs === null ? 0 : 1, overruns },
        effects: [cancel],
        outcome: OK,
      });
    }
    case 'RUNNING':
      return endJob(p, r.job, 'STOPPED', { overruns: pointsLeftByLateTimer(r.grid, nowMs) });
    case 'SUSPENDED': {
      const { skipped } = skipSuspendedReleases(r.grid, nowMs);
      if (r.job) return endJob(p, r.job, 'STOPPED', { skipped });
      return change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', counters: { skipped }, effects: [cancel], outcome: OK });
    }
    case 'LAUNCHING':
    case 'STOPPING':
      return unchanged(p, failed(REASONS.busy));
  }
}

/** SIGTERM (after SIGCONT if stopped), SIGKILL after the grace period; settled by JOB_ENDED. */
function endJob(p: ProcessSnapshot, job: Job, intent: Intent, counters: Partial<Counters>): Decision {
  return change(p, {
    runtime: { phase: 'STOPPING', job },
    intent,
    counters,
    effects: [{ kind: 'CANCEL_RELEASE' }, { kind: 'END_GROUP', pid: job.pid, graceMs: p.spec.stopTimeoutMs }],
  });
}

function suspend(p: ProcessSnapshot, nowMs: number): Decision {
  const r = p.runtime;
  const cancel: Effect = { kind: 'CANCEL_RELEASE' };
  switch (r.phase) {
    case 'DORMANT':
      return unchanged(p, failed(REASONS.notStarted));
    case 'WAITING':
      return change(p, { runtime: { phase: 'SUSPENDED', grid: r.grid, job: null }, intent: 'SUSPENDED', effects: [cancel], outcome: OK });
    case 'RESTART_PENDING':
      // The restart is held: RESUME releases it after the delay that was left.
      return change(p, {
        runtime: { phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: Math.max(0, r.restartAtMs - nowMs), ...(r.delayedStart ? { heldStart: true } : {}) },
        intent: 'SUSPENDED',
        effects: [{ kind: 'CANCEL_RESTART' }],
        outcome: OK,
      });
    case 'READY':
      // A held job is still stopped, so it needs no signal; a queued release is dropped.
      return change(p, {
        runtime: { phase: 'SUSPENDED', grid: r.grid, job: r.heldJob ? suspendedJob(r.heldJob, nowMs) : null },
        intent: 'SUSPENDED',
        counters: { skipped: r.releaseAtMs === null ? 0 : 1 },
        effects: [cancel],
        outcome: OK,
      });
    case 'RUNNING':
      return change(p, {
        runtime: { phase: 'SUSPENDED', grid: r.grid, job: suspendedJob(r.job, nowMs) },
        intent: 'SUSPENDED',
        effects: [cancel, { kind: 'SIGNAL_GROUP', pid: r.job.pid, signal: 'SIGSTOP' }],
        outcome: OK,
      });
    case 'SUSPENDED':
      return unchanged(p, OK);
    case 'LAUNCHING':
    case 'STOPPING':
      return unchanged(p, failed(REASONS.busy));
  }
}

function resume(p: ProcessSnapshot, slotFree: boolean, nowMs: number): Decision {
  const r = p.runtime;
  switch (r.phase) {
    case 'DORMANT':
      return unchanged(p, failed(REASONS.notStarted));
    case 'WAITING':
    case 'RESTART_PENDING':
    case 'READY':
    case 'LAUNCHING':
    case 'RUNNING':
      return unchanged(p, OK);
    case 'STOPPING':
      return unchanged(p, failed(REASONS.busy));
    case 'SUSPENDED': {
      if (r.heldRestartMs !== undefined && !r.job) {
        const restartAtMs = nowMs + r.heldRestartMs;
        return change(p, {
          runtime: { phase: 'RESTART_PENDING', restartAtMs, ...(r.heldStart ? { delayedStart: true } : {}) },
          intent: 'STARTED',
          effects: [{ kind: 'ARM_RESTART', atMs: restartAtMs }],
          outcome: OK,
        });
      }
      const { grid, skipped } = skipSuspendedReleases(r.grid, nowMs);
      const arm: Effect[] = grid ? [{ kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs }] : [];
      const common = { intent: 'STARTED' as const, counters: { skipped } };
      if (r.job) {
        // The time suspended moves the job's deadline later (time capacity).
        const job = resumedJob(r.job, nowMs);
        if (slotFree) {
          return change(p, {
            ...common,
            runtime: { phase: 'RUNNING', grid, job },
            effects: [...arm, { kind: 'SIGNAL_GROUP', pid: job.pid, signal: 'SIGCONT' }],
            outcome: OK,
          });
        }
        return change(p, { ...common, runtime: { phase: 'READY', grid, releaseAtMs: null, heldJob: job }, effects: arm, outcome: OK });
      }
      if (grid) return change(p, { ...common, runtime: { phase: 'WAITING', grid }, effects: arm, outcome: OK });
      // A suspended READY process goes back to READY; the slot queue launches it from there.
      return change(p, { ...common, runtime: { phase: 'READY', grid: null, releaseAtMs: null, heldJob: null }, outcome: OK });
    }
  }
}

function release(p: ProcessSnapshot, slotFree: boolean, nowMs: number): Decision {
  const r = p.runtime;
  if (r.phase === 'STOPPING') return releaseWhileEndingMissed(p, nowMs);
  if (r.phase === 'DORMANT' || r.phase === 'RESTART_PENDING' || !r.grid) return unchanged(p);
  const grid = r.grid;
  if (nowMs < grid.nextReleaseAtMs) {
    // Early wake-up: wait on for the same release point.
    return change(p, { effects: r.phase === 'SUSPENDED' ? [] : [{ kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs }] });
  }
  const due = pointsDueBy(grid, nowMs);
  const nextGrid = advancePast(grid, nowMs);
  const arm: Effect = { kind: 'ARM_RELEASE', atMs: nextGrid.nextReleaseAtMs };
  switch (r.phase) {
    case 'WAITING': {
      // Points missed by a late timer are skipped; only the latest one is released.
      const next = launchOrQueue(slotFree, nextGrid, lastPointAtOrBefore(grid, nowMs), false);
      return change(p, { runtime: next.runtime, effects: [arm, ...next.effects], counters: { skipped: due - 1 } });
    }
    case 'READY':
    case 'LAUNCHING':
    case 'RUNNING':
      // Two jobs of one process never run at once: the release is skipped as an overrun.
      return change(p, { runtime: { ...r, grid: nextGrid }, effects: [arm], counters: { overruns: due } });
    case 'SUSPENDED':
      return change(p, { runtime: { ...r, grid: nextGrid }, counters: { skipped: due } });
  }
}

/** The pending restart is due: the job is released again, as START would (READY if no slot). */
function restartDue(p: ProcessSnapshot, slotFree: boolean, nowMs: number): Decision {
  const r = p.runtime;
  const policy = restartPolicyOf(p.spec);
  if (r.phase !== 'RESTART_PENDING') return unchanged(p);
  if (nowMs < r.restartAtMs) return change(p, { effects: [{ kind: 'ARM_RESTART', atMs: r.restartAtMs }] });
  const next = launchOrQueue(slotFree, null, null, false);
  // A delayed START's first job is not a restart.
  if (r.delayedStart || !policy) return change(p, { runtime: next.runtime, effects: next.effects });
  return change(p, { runtime: next.runtime, effects: next.effects, counters: { restarts: 1 }, restartLog: withRestartAt(policy, p.restartLog, nowMs) });
}

/**
 * A ONE_SHOT job that ended (or could not start) without an operator asking for it: the restart
 * policy sends it WAITING for its restart, held while suspended, or gives up and leaves it DORMANT.
 * Null when the policy does not restart it.
 */
function afterOneShotEnd(
  p: ProcessSnapshot,
  failedOnItsOwn: boolean,
  ranMs: number,
  suspended: boolean,
  counters: Partial<Counters>,
  record: { run: RunRecord; lastExit: LastExit },
  nowMs: number,
): Decision | null {
  const policy = restartPolicyOf(p.spec);
  if (!policy || !wantsRestart(policy, failedOnItsOwn)) return null;
  const plan = planRestart(policy, p.restartLog, nowMs, ranMs);
  if (plan.kind === 'GIVE_UP') {
    const lastExit = { ...record.lastExit, error: record.lastExit.error ?? plan.reason };
    return change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', counters, note: plan.reason }, { run: record.run, lastExit });
  }
  const note = `restart in ${plan.delayMs} ms (${policy.policy})`;
  if (suspended) {
    return change(p, { runtime: { phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: plan.delayMs }, counters, restartLog: plan.log, note }, record);
  }
  const restartAtMs = nowMs + plan.delayMs;
  return change(
    p,
    { runtime: { phase: 'RESTART_PENDING', restartAtMs }, counters, restartLog: plan.log, effects: [{ kind: 'ARM_RESTART', atMs: restartAtMs }], note },
    record,
  );
}

function slotGranted(p: ProcessSnapshot): Decision {
  const r = p.runtime;
  if (r.phase !== 'READY') return unchanged(p);
  if (r.heldJob) {
    return change(p, {
      runtime: { phase: 'RUNNING', grid: r.grid, job: r.heldJob },
      effects: [{ kind: 'SIGNAL_GROUP', pid: r.heldJob.pid, signal: 'SIGCONT' }],
    });
  }
  return change(p, launchOrQueue(true, r.grid, r.releaseAtMs, false));
}

function jobSpawned(p: ProcessSnapshot, pid: number, nowMs: number): Decision {
  const r = p.runtime;
  if (r.phase !== 'LAUNCHING') return unchanged(p);
  const job: Job = { pid, startedAtMs: nowMs, releaseAtMs: r.releaseAtMs };
  return change(p, {
    runtime: { phase: 'RUNNING', grid: r.grid, job },
    counters: { runs: 1 },
    ...(r.byOperation ? { outcome: OK } : {}),
  });
}

function spawnFailed(p: ProcessSnapshot, error: string, nowMs: number): Decision {
  const r = p.runtime;
  if (r.phase !== 'LAUNCHING') return unchanged(p);
  const lastExit = { code: null, signal: null, atMs: nowMs, durationMs: 0, error, oomKilled: false };
  const run = {
    pid: null,
    startedAtMs: nowMs,
    endedAtMs: nowMs,
    exitCode: null,
    signal: null,
    releaseAtMs: r.releaseAtMs,
    error,
    endedBySigma: false,
    oomKilled: false,
    deadlineMissed: false,
  };
  // A failed release of a started PERIODIC process waits for the next one; anything else is not started.
  if (r.grid && !r.byOperation) {
    return change(p, { runtime: { phase: 'WAITING', grid: r.grid }, counters: { failures: 1 } }, { run, lastExit });
  }
  // A launch no operator waits on (a restart, a slot granted) that fails is a failure the policy may restart.
  const restarted = r.byOperation ? null : afterOneShotEnd(p, true, 0, false, { failures: 1 }, { run, lastExit }, nowMs);
  if (restarted) return restarted;
  return change(
    p,
    {
      runtime: { phase: 'DORMANT' },
      intent: 'STOPPED',
      counters: { failures: 1 },
      effects: r.grid ? [{ kind: 'CANCEL_RELEASE' }] : [],
      ...(r.byOperation ? { outcome: failed(`spawn failed: ${error}`) } : {}),
    },
    { run, lastExit },
  );
}

function jobEnded(
  p: ProcessSnapshot,
  ended: { pid: number; exitCode: number | null; signal: string | null; error?: string | null; oomKilled?: boolean },
  nowMs: number,
): Decision {
  const r = p.runtime;
  const job = jobOf(r);
  if (!job || job.pid !== ended.pid) return unchanged(p);
  const endedBySigma = r.phase === 'STOPPING';
  const failedOnItsOwn = !endedBySigma && (ended.signal !== null || ended.exitCode !== 0);
  const oomKilled = ended.oomKilled ?? false;
  const run = {
    pid: job.pid,
    startedAtMs: job.startedAtMs,
    endedAtMs: nowMs,
    exitCode: ended.exitCode,
    signal: ended.signal,
    releaseAtMs: job.releaseAtMs,
    error: ended.error ?? null,
    endedBySigma,
    oomKilled,
    deadlineMissed: job.deadlineMissed === true,
  };
  const lastExit = { code: ended.exitCode, signal: ended.signal, atMs: nowMs, durationMs: nowMs - job.startedAtMs, error: ended.error ?? null, oomKilled };
  const counters = { failures: failedOnItsOwn ? 1 : 0 };
  const record = { run, lastExit };
  if (r.phase === 'STOPPING' && r.afterDeadlineMiss) return afterMissedJobEnded(p, r.afterDeadlineMiss.grid, job, record, nowMs);
  if (r.phase === 'STOPPING') return change(p, { runtime: { phase: 'DORMANT' }, counters, outcome: OK }, record);
  const grid = r.phase === 'RUNNING' || r.phase === 'READY' || r.phase === 'SUSPENDED' ? r.grid : null;
  if (!grid) {
    const restarted = afterOneShotEnd(p, failedOnItsOwn, lastExit.durationMs, r.phase === 'SUSPENDED', counters, record, nowMs);
    return restarted ?? change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', counters }, record);
  }
  if (r.phase === 'SUSPENDED') return change(p, { runtime: { phase: 'SUSPENDED', grid, job: null }, counters }, record);
  return change(p, { runtime: { phase: 'WAITING', grid }, counters }, record);
}

const armAt = (grid: ReleaseGrid): Effect => ({ kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs });

/** The grid of a phase that has one. */
function gridOf(r: Runtime): ReleaseGrid | null {
  return r.phase === 'DORMANT' || r.phase === 'STOPPING' || r.phase === 'RESTART_PENDING' ? null : r.grid;
}

/**
 * A job the launcher started: it is the process's job from now on, whatever the process became
 * meanwhile (a STOP or SUSPEND decided while the release was on its way ends or stops it).
 */
function released(p: ProcessSnapshot, input: Extract<Input, { kind: 'RELEASED' }>, nowMs: number): Decision {
  const r = p.runtime;
  const job: Job = { pid: input.pid, startedAtMs: nowMs, releaseAtMs: input.releaseAtMs };
  const grid = gridOf(r);
  const nextGrid = grid && input.releaseAtMs !== null ? pastRelease(grid, input.releaseAtMs) : grid;
  const counters = { runs: 1, skipped: input.skippedBefore };
  switch (r.phase) {
    case 'WAITING':
      return change(p, { runtime: { phase: 'RUNNING', grid: nextGrid, job }, counters, effects: [armAt(nextGrid as ReleaseGrid)] });
    case 'RESTART_PENDING':
      // The restart's spawn a daemon that died had asked for: it runs.
      return change(p, { runtime: { phase: 'RUNNING', grid: null, job }, counters: { runs: 1 }, effects: [{ kind: 'CANCEL_RESTART' }] });
    case 'READY':
      // The spawn a daemon that died had asked for while READY (a slot was granted): it runs.
      if (r.heldJob) return unchanged(p);
      return change(p, {
        runtime: { phase: 'RUNNING', grid: nextGrid, job: { ...job, releaseAtMs: r.releaseAtMs ?? input.releaseAtMs } },
        counters,
        effects: nextGrid ? [armAt(nextGrid)] : [],
      });
    case 'LAUNCHING':
      // The answer to the daemon's own spawn request, told again after the daemon died waiting for it.
      return change(p, {
        runtime: { phase: 'RUNNING', grid: r.grid, job: { ...job, releaseAtMs: r.releaseAtMs ?? input.releaseAtMs } },
        counters: { runs: 1 },
        ...(r.byOperation ? { outcome: OK } : {}),
      });
    case 'SUSPENDED':
      if (r.job) return unchanged(p);
      return change(p, { runtime: { phase: 'SUSPENDED', grid: nextGrid, job: suspendedJob(job, nowMs) }, counters, effects: [{ kind: 'SIGNAL_GROUP', pid: input.pid, signal: 'SIGSTOP' }] });
    case 'DORMANT':
      return change(p, { runtime: { phase: 'STOPPING', job }, counters: { runs: 1 }, effects: [{ kind: 'END_GROUP', pid: input.pid, graceMs: p.spec.stopTimeoutMs }] });
    case 'RUNNING':
    case 'STOPPING':
      // The launcher never starts a second job of a process while one lives.
      return unchanged(p);
  }
}

function releasePassed(p: ProcessSnapshot, input: Extract<Input, { kind: 'RELEASE_PASSED' }>): Decision {
  const r = p.runtime;
  if (r.phase === 'STOPPING' && r.afterDeadlineMiss?.grid) {
    // The job ended at its deadline is still being ended: the launcher saw it running.
    const nextGrid = pastRelease(r.afterDeadlineMiss.grid, input.releaseAtMs);
    const counters = input.overrun ? { overruns: input.count } : { skipped: input.count };
    return change(p, { runtime: { ...r, afterDeadlineMiss: { grid: nextGrid } }, counters, effects: [armAt(nextGrid)] });
  }
  const grid = gridOf(r);
  // STOP counted the points due when it was decided; one told afterwards is not counted twice.
  if (!grid || r.phase === 'DORMANT' || r.phase === 'STOPPING' || r.phase === 'RESTART_PENDING') return unchanged(p);
  const nextGrid = pastRelease(grid, input.releaseAtMs);
  const counters = input.overrun ? { overruns: input.count } : { skipped: input.count };
  return change(p, { runtime: { ...r, grid: nextGrid }, counters, effects: r.phase === 'SUSPENDED' ? [] : [armAt(nextGrid)] });
}

function releaseFailed(p: ProcessSnapshot, input: Extract<Input, { kind: 'RELEASE_FAILED' }>, nowMs: number): Decision {
  const r = p.runtime;
  const lastExit = { code: null, signal: null, atMs: nowMs, durationMs: 0, error: input.error, oomKilled: false };
  const run = {
    pid: null,
    startedAtMs: nowMs,
    endedAtMs: nowMs,
    exitCode: null,
    signal: null,
    releaseAtMs: input.releaseAtMs,
    error: input.error,
    endedBySigma: false,
    oomKilled: false,
    deadlineMissed: false,
  };
  const counters = { failures: 1, skipped: input.skippedBefore };
  const grid = gridOf(r);
  if (!grid || r.phase === 'DORMANT' || r.phase === 'STOPPING' || r.phase === 'RESTART_PENDING') return change(p, { counters }, { run, lastExit });
  const nextGrid = pastRelease(grid, input.releaseAtMs);
  return change(p, { runtime: { ...r, grid: nextGrid }, counters, effects: r.phase === 'SUSPENDED' ? [] : [armAt(nextGrid)] }, { run, lastExit });
}

function shutdown(p: ProcessSnapshot, nowMs: number): Decision {
  const r = p.runtime;
  const job = jobOf(r);
  const late = releasesLeftAtShutdown(r, nowMs);
  if (job) return endJob(p, job, p.intent, late);
  if (r.phase === 'DORMANT') return unchanged(p);
  // A pending or held restart is kept as it is: the next boot takes it up where it was stored.
  if (r.phase === 'RESTART_PENDING') return change(p, { effects: [{ kind: 'CANCEL_RESTART' }] });
  if (r.phase === 'SUSPENDED' && r.heldRestartMs !== undefined) return unchanged(p);
  // A release still queued never runs: it is skipped, like any other.
  const queued = r.phase === 'READY' && r.releaseAtMs !== null ? 1 : 0;
  return change(p, {
    runtime: { phase: 'DORMANT' },
    counters: { ...late, skipped: (late.skipped ?? 0) + queued },
    effects: [{ kind: 'CANCEL_RELEASE' }],
  });
}

/**
 * The release points due by the shutdown that no timer has handled, counted as they would have
 * been (the next boot starts a fresh grid): skipped while WAITING or suspended, overruns while
 * a job is queued, launching or running.
 */
function releasesLeftAtShutdown(r: Runtime, nowMs: number): Partial<Counters> {
  switch (r.phase) {
    case 'WAITING':
      return { skipped: pointsLeftByLateTimer(r.grid, nowMs) };
    case 'SUSPENDED':
      return { skipped: skipSuspendedReleases(r.grid, nowMs).skipped };
    case 'READY':
    case 'LAUNCHING':
    case 'RUNNING':
      return { overruns: pointsLeftByLateTimer(r.grid, nowMs) };
    default:
      return {};
  }
}

/**
 * The deadline timer fired: a job still running at its deadline is marked and counted once; with
 * `stop` it is ended as STOP ends it (SIGTERM, SIGKILL after stopTimeoutMs), the process still
 * started. A timer that fires early, late for a job that has ended, or for a suspended job (its
 * deadline has moved) changes nothing.
 */
function deadlineDue(p: ProcessSnapshot, nowMs: number): Decision {
  const r = p.runtime;
  const capacity = p.spec.capacity;
  if (!capacity || r.phase !== 'RUNNING' || r.job.deadlineMissed) return unchanged(p);
  const deadlineAtMs = deadlineOf(r.job, capacity.timeCapacityMs);
  if (nowMs < deadlineAtMs) return unchanged(p);
  const job: Job = { ...r.job, deadlineMissed: true };
  const deadlineMiss: DeadlineMiss = { pid: job.pid, deadlineAtMs, timeCapacityMs: capacity.timeCapacityMs, action: capacity.onDeadlineMiss };
  const common = { counters: { deadlineMisses: 1 }, deadlineMiss, note: deadlineMissReason(job, capacity) };
  if (capacity.onDeadlineMiss === 'log') return change(p, { ...common, runtime: { ...r, job } });
  // The release timer is kept: a PERIODIC process stays on its grid.
  return change(p, {
    ...common,
    runtime: { phase: 'STOPPING', job, afterDeadlineMiss: { grid: r.grid } },
    effects: [{ kind: 'END_GROUP', pid: job.pid, graceMs: p.spec.stopTimeoutMs }],
  });
}

/** A job ended at its deadline is gone: a failure; a PERIODIC process waits for its next release, a ONE_SHOT one is over (its restart policy may restart it). */
function afterMissedJobEnded(p: ProcessSnapshot, grid: ReleaseGrid | null, job: Job, record: { run: RunRecord; lastExit: LastExit }, nowMs: number): Decision {
  const reason = p.spec.capacity ? deadlineMissReason(job, p.spec.capacity) : 'deadline missed';
  const missed = {
    run: { ...record.run, endedBySigma: true, error: record.run.error ?? reason },
    lastExit: { ...record.lastExit, error: record.lastExit.error ?? reason },
  };
  const counters = { failures: 1 };
  if (grid) return change(p, { runtime: { phase: 'WAITING', grid }, counters }, missed);
  const restarted = afterOneShotEnd(p, true, missed.lastExit.durationMs, false, counters, missed, nowMs);
  return restarted ?? change(p, { runtime: { phase: 'DORMANT' }, intent: 'STOPPED', counters, note: reason }, missed);
}

/** A release point while a job ended at its deadline is still being ended: an overrun, as while it ran. */
function releaseWhileEndingMissed(p: ProcessSnapshot, nowMs: number): Decision {
  const r = p.runtime;
  const grid = r.phase === 'STOPPING' ? r.afterDeadlineMiss?.grid : null;
  if (r.phase !== 'STOPPING' || !grid) return unchanged(p);
  if (nowMs < grid.nextReleaseAtMs) return change(p, { effects: [armAt(grid)] });
  const nextGrid = advancePast(grid, nowMs);
  return change(p, { runtime: { ...r, afterDeadlineMiss: { grid: nextGrid } }, counters: { overruns: pointsDueBy(grid, nowMs) }, effects: [armAt(nextGrid)] });
}
