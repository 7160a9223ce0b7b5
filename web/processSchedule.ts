// What the page knows of one PERIODIC process's schedule: the grids it was released on (from its
// nextReleaseAt, and its START and STOP as the events tell them), its ended jobs (its runs, read
// and then told by the events), and the job running now (its state).
import type { ManagedProcess, Run, SigmaEvent } from './apiTypes.js';
import { isOnGrid, pausedMsWithin, pointAtOrBefore, scheduleRowOf, type GridSpan, type Pause, type ScheduleJob, type ScheduleRow } from './scheduleRows.js';

/** Runs are kept this long after they end: the longest window, and some. */
const RUNS_KEPT_MS = 70_000;
const MOST_RUNS_KEPT = 2000;
const PRUNE_EVERY_MS = 1000;
/** A reading's job and a run with its pid that started this close together are the same job. */
const SAME_JOB_MS = 1000;

type StateEvent = Extract<SigmaEvent, { type: 'state' }>;

export class ProcessSchedule {
  private readonly spans: GridSpan[] = [];
  /** By start and pid (a run told by an event carries no id): a run both read and told is kept once. */
  private readonly runs = new Map<string, ScheduleJob>();
  /** Runs before this may be missing; the events have told every one since. */
  private knownFromMs: number;
  private lastStartMs: number | null = null;
  private lastStopMs: number | null = null;
  /** A job the state events said started, before a reading of the process shows it. */
  private eventJobStartMs: number | null = null;
  /** Suspensions the events told: the release points in them are skipped. */
  private readonly pauses: Pause[] = [];
  private prunedAtMs = -Infinity;

  constructor(
    private current: ManagedProcess,
    nowMs: number,
  ) {
    this.knownFromMs = nowMs;
    this.observe(current, nowMs);
  }

  get process(): ManagedProcess {
    return this.current;
  }

  /** A reading of the process (GET /processes, or an event that carries it). */
  observe(process: ManagedProcess, nowMs: number): void {
    this.current = process;
    const periodMs = process.period;
    if (process.type !== 'PERIODIC' || periodMs === null) return;
    const open = this.openSpan();
    if (process.state === 'DORMANT') {
      if (open) open.untilMs = this.lastStopMs !== null && this.lastStopMs >= (open.fromMs ?? -Infinity) ? this.lastStopMs : nowMs;
      return;
    }
    const nextMs = timeOf(process.nextReleaseAt);
    // Suspended: the grid goes on (the points that pass are counted as skipped).
    if (nextMs === null) return;
    const grid = { anchorMs: nextMs, periodMs };
    if (open && open.periodMs === periodMs && isOnGrid(open, nextMs)) {
      open.anchorMs = nextMs;
      return;
    }
    const last = this.spans.at(-1);
    // Read before a STOP the events have told since: nothing new.
    if (!open && last && last.periodMs === periodMs && isOnGrid(last, nextMs) && (this.lastStartMs === null || this.lastStartMs <= (last.untilMs ?? nowMs))) return;
    if (open && this.lastStartMs !== null && open.fromMs === this.lastStartMs) {
      // The span of this START was opened from a reading older than this one.
      Object.assign(open, grid);
      return;
    }
    if (open) open.untilMs = nowMs;
    const startedAfterLast = this.lastStartMs !== null && this.lastStartMs >= (last?.untilMs ?? -Infinity);
    this.spans.push({ ...grid, fromMs: startedAfterLast ? this.lastStartMs : null, untilMs: null });
  }

  noteState(event: StateEvent): void {
    const atMs = Date.parse(event.at);
    if (Number.isNaN(atMs)) return;
    const open = this.openSpan();
    if (event.to === 'DORMANT') {
      this.lastStopMs = atMs;
      if (open) open.untilMs = atMs;
    } else if (event.from === 'DORMANT') {
      this.lastStartMs = atMs;
      // A span already open came from a reading of this START that beat its event here; one of an
      // older START (its STOP missed) takes the next reading's grid (observe).
      if (open) open.fromMs = atMs;
    }
    const pause = this.pauses.at(-1);
    if (event.to === 'SUSPENDEND' && !(pause && pause.untilMs === null)) this.pauses.push({ fromMs: atMs, untilMs: null });
    else if (event.from === 'SUSPENDEND' && pause && pause.untilMs === null) pause.untilMs = atMs;
    // A resumed job is the same job; any other move to RUNNING starts one.
    if (event.to === 'RUNNING' && event.from !== 'SUSPENDEND') this.eventJobStartMs = atMs;
    else if (event.from === 'RUNNING' && event.to !== 'SUSPENDEND') this.eventJobStartMs = null;
  }

  addRun(run: Omit<Run, 'id'>, nowMs: number): void {
    const startedAtMs = timeOf(run.startedAt);
    const endedAtMs = timeOf(run.endedAt);
    if (startedAtMs === null || endedAtMs === null) return;
    this.runs.set(`${run.startedAt} ${run.pid ?? ''}`, {
      pid: run.pid,
      releaseAtMs: timeOf(run.releaseAt),
      startedAtMs,
      latenessMs: run.releaseLatenessMs,
      endedAtMs,
      deadlineMissed: run.deadlineMissed,
    });
    if (this.eventJobStartMs !== null && endedAtMs > this.eventJobStartMs) this.eventJobStartMs = null;
    this.prune(nowMs);
  }

  /** The runs read with GET /processes/{id}/runs?limit=...: all there are, or (as many as asked) the newest. */
  addHistory(runsNewestFirst: readonly Run[], limit: number, nowMs: number): void {
    for (const run of runsNewestFirst) this.addRun(run, nowMs);
    const oldest = runsNewestFirst.at(-1);
    const allOfThem = runsNewestFirst.length < limit || oldest === undefined;
    const oldestMs = allOfThem ? -Infinity : (timeOf(oldest.releaseAt) ?? timeOf(oldest.startedAt) ?? nowMs);
    this.knownFromMs = Math.min(this.knownFromMs, oldestMs);
  }

  rowAt(nowMs: number, windowMs: number): ScheduleRow {
    const jobs = [...this.runs.values()];
    const running = this.runningJob(nowMs);
    if (running) jobs.push(running);
    const spans = this.spans.map((span) => ({ ...span, fromMs: span.fromMs ?? chainStartOf(span, jobs) }));
    const input = { id: this.current.id, name: this.current.name, spans, jobs, pauses: this.pauses, knownFromMs: this.knownFromMs };
    return scheduleRowOf(input, nowMs, windowMs);
  }

  private runningJob(nowMs: number): ScheduleJob | null {
    const { pid, timeCapacityMs } = this.current;
    const readMs = timeOf(this.current.startedAt);
    let startedAtMs: number | null = null;
    if (readMs !== null && pid !== null && !this.hasRun(pid, readMs)) startedAtMs = readMs;
    else if (this.eventJobStartMs !== null) startedAtMs = this.eventJobStartMs;
    if (startedAtMs === null) return null;
    const at = startedAtMs;
    const span = [...this.spans].reverse().find((candidate) => candidate.untilMs === null || candidate.untilMs >= at);
    const releaseAtMs = span ? pointAtOrBefore(span, startedAtMs) : null;
    // Its deadline moves on by the time it spent suspended.
    const deadlineMissed = timeCapacityMs !== null && releaseAtMs !== null && nowMs > releaseAtMs + timeCapacityMs + pausedMsWithin(this.pauses, startedAtMs, nowMs);
    const latenessMs = releaseAtMs === null ? null : startedAtMs - releaseAtMs;
    return { pid: readMs === startedAtMs ? pid : null, releaseAtMs, startedAtMs, latenessMs, endedAtMs: null, deadlineMissed };
  }

  private hasRun(pid: number, startedAtMs: number): boolean {
    for (const run of this.runs.values()) if (run.pid === pid && Math.abs(run.startedAtMs - startedAtMs) < SAME_JOB_MS) return true;
    return false;
  }

  private openSpan(): GridSpan | undefined {
    const last = this.spans.at(-1);
    return last && last.untilMs === null ? last : undefined;
  }

  private prune(nowMs: number): void {
    if (nowMs - this.prunedAtMs < PRUNE_EVERY_MS && this.runs.size <= MOST_RUNS_KEPT) return;
    this.prunedAtMs = nowMs;
    const oldestKeptMs = nowMs - RUNS_KEPT_MS;
    for (const [id, run] of this.runs) if ((run.endedAtMs ?? nowMs) < oldestKeptMs) this.runs.delete(id);
    if (this.runs.size > MOST_RUNS_KEPT) {
      const byEnd = [...this.runs].sort(([, a], [, b]) => (a.endedAtMs ?? nowMs) - (b.endedAtMs ?? nowMs));
      for (const [id] of byEnd.slice(0, this.runs.size - MOST_RUNS_KEPT)) this.runs.delete(id);
    }
    while (this.spans.length > 1 && (this.spans[0]?.untilMs ?? nowMs) < oldestKeptMs) this.spans.shift();
    while ((this.pauses[0]?.untilMs ?? nowMs) < oldestKeptMs) this.pauses.shift();
  }
}

/**
 * Where a span whose START the page did not see begins: the oldest release of the unbroken line of
 * jobs on its grid, newest first (a job off the grid is one of an earlier START).
 */
function chainStartOf(span: GridSpan, jobs: readonly ScheduleJob[]): number | null {
  const releases = jobs
    .filter((job) => job.releaseAtMs !== null && (span.untilMs === null || job.startedAtMs <= span.untilMs))
    .map((job) => job.releaseAtMs as number)
    .sort((a, b) => b - a);
  let startMs: number | null = null;
  for (const releaseMs of releases) {
    if (!isOnGrid(span, releaseMs)) break;
    startMs = releaseMs;
  }
  return startMs;
}

function timeOf(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
