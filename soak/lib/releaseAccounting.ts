// Releases due against releases accounted for, per periodic process. The grid is t0 + k * period
// with release 0 at START itself; the releases due are the grid points from START to STOP. The
// daemon decides START and STOP at some instant between the client sending the request and
// reading its answer, so t0 and the stop instant are known to lie in those windows, on the same
// clock (epoch-anchored monotonic time, as the daemon's). Any run's release point fixes the
// grid's phase; with a START window shorter than the period that gives t0 exactly.

/** Slack for the millisecond rounding of the ISO times and the two processes' clock anchors. */
const CLOCK_SLACK_MS = 2;

export interface Window {
  readonly sentAtMs: number;
  readonly answeredAtMs: number;
}

export interface Counters {
  readonly runs: number;
  readonly overruns: number;
  readonly skipped: number;
  readonly failures: number;
}

export interface PeriodicRecord {
  readonly id: number;
  readonly name: string;
  readonly periodMs: number;
  readonly start: Window;
  readonly stop: Window;
  /** A release point seen in its runs (any: they all lie on the grid), or null if none was seen. */
  readonly someReleaseAtMs: number | null;
  /** Releases whose spawn failed, as seen in the runs read (they count in `failures`, not `runs`). */
  readonly spawnFailures: number;
  readonly counters: Counters;
}

export interface ProcessAccounting {
  readonly id: number;
  readonly name: string;
  readonly dueMin: number;
  readonly dueMax: number;
  readonly accounted: number;
  readonly counters: Counters;
  readonly spawnFailures: number;
  /** accounted - due (0 when inside the due range), or null when the grid could not be placed. */
  readonly difference: number | null;
  readonly note: string | null;
}

export function accountReleases(record: PeriodicRecord): ProcessAccounting {
  const { counters, periodMs } = record;
  const accounted = counters.runs + counters.overruns + counters.skipped + record.spawnFailures;
  const base = { id: record.id, name: record.name, accounted, counters, spawnFailures: record.spawnFailures };
  if (record.someReleaseAtMs === null) {
    return { ...base, dueMin: 0, dueMax: 0, difference: null, note: 'no run seen: the grid could not be placed' };
  }
  // Every t0 candidate on the grid's phase inside the START window.
  const earliest = record.start.sentAtMs - CLOCK_SLACK_MS;
  const latest = record.start.answeredAtMs + CLOCK_SLACK_MS;
  const firstK = Math.ceil((earliest - record.someReleaseAtMs) / periodMs);
  const candidates: number[] = [];
  for (let t0 = record.someReleaseAtMs + firstK * periodMs; t0 <= latest; t0 += periodMs) candidates.push(t0);
  if (candidates.length === 0) {
    return { ...base, dueMin: 0, dueMax: 0, difference: null, note: 'no grid point inside the START window: the clocks disagree' };
  }
  const pointsUpTo = (t0: number, atMs: number): number => (atMs < t0 ? 0 : Math.floor((atMs - t0) / periodMs) + 1);
  const lastT0 = candidates[candidates.length - 1] as number;
  const firstT0 = candidates[0] as number;
  const dueMin = pointsUpTo(lastT0, record.stop.sentAtMs - CLOCK_SLACK_MS);
  const dueMax = pointsUpTo(firstT0, record.stop.answeredAtMs + CLOCK_SLACK_MS);
  const difference = accounted < dueMin ? accounted - dueMin : accounted > dueMax ? accounted - dueMax : 0;
  const note = candidates.length > 1 ? `START took longer than a period: ${candidates.length} possible grid origins` : null;
  return { ...base, dueMin, dueMax, difference, note };
}
