// What a schedule timeline row shows, worked out from plain data: the release points of a PERIODIC
// process's grid within a span of time, each one run, overrun, skipped or just due, and its jobs.
// No DOM here: scheduleTimeline.ts draws the result.

/** A grid the process was released on: points at anchorMs + k * periodMs, from fromMs until untilMs. */
export interface GridSpan {
  anchorMs: number;
  periodMs: number;
  /** Its first point (its START), or the oldest point known to be on it; null: not known yet. */
  fromMs: number | null;
  /** When it ended (a STOP); null while it goes on. */
  untilMs: number | null;
}

export interface ScheduleJob {
  pid: number | null;
  /** The grid point it was released at; null when not known (a job seen only from its state). */
  releaseAtMs: number | null;
  startedAtMs: number;
  /** How late it started after its release, to the microsecond where the run says it. */
  latenessMs: number | null;
  /** Null: running now. */
  endedAtMs: number | null;
  deadlineMissed: boolean;
}

/**
 * ran: a job has it as its release. overrun: the previous release's job was still pending or
 * running then. skipped: no job for another reason (a suspension, a late timer). due: just
 * passed, its job not heard of yet.
 */
export type ReleaseKind = 'ran' | 'overrun' | 'skipped' | 'due';

export interface ReleaseMark {
  atMs: number;
  kind: ReleaseKind;
}

/** A suspension: from SUSPEND to RESUME (null while it lasts). */
export interface Pause {
  fromMs: number;
  untilMs: number | null;
}

export interface ScheduleInput {
  id: number;
  name: string;
  spans: readonly GridSpan[];
  jobs: readonly ScheduleJob[];
  pauses: readonly Pause[];
  /** Before this the page may have missed runs (older than those the node keeps): nothing is drawn there. */
  knownFromMs: number;
}

export interface ScheduleRow {
  id: number;
  name: string;
  /** Where the row starts: the window's start, or later when less is known or a short period would crowd it. */
  fromMs: number;
  nowMs: number;
  releases: ReleaseMark[];
  /** The jobs that overlap [fromMs, nowMs]. */
  jobs: ScheduleJob[];
  counts: RowCounts;
}

export interface RowCounts {
  releases: number;
  /** Jobs started in the row's span. */
  jobs: number;
  overruns: number;
  skipped: number;
  deadlineMisses: number;
}

/** More release points than this in a window are not drawn: the row then starts later. */
const MAX_RELEASES_PER_ROW = 600;
/** A point without a job is not called skipped before this: the job's start may still be on its way. */
const DUE_GRACE_MS = 1000;

/** How long the pauses took of [fromMs, untilMs]. */
export function pausedMsWithin(pauses: readonly Pause[], fromMs: number, untilMs: number): number {
  return pauses.reduce((sumMs, pause) => sumMs + Math.max(0, Math.min(untilMs, pause.untilMs ?? untilMs) - Math.max(fromMs, pause.fromMs)), 0);
}

/** How far from a grid point a time may be and still name it (times are read back to the millisecond). */
export function slackMs(periodMs: number): number {
  return Math.min(periodMs / 4, 20);
}

export function isOnGrid(span: Pick<GridSpan, 'anchorMs' | 'periodMs'>, atMs: number): boolean {
  const offsetMs = atMs - nearestPoint(span, atMs);
  return Math.abs(offsetMs) <= slackMs(span.periodMs);
}

function nearestPoint(span: Pick<GridSpan, 'anchorMs' | 'periodMs'>, atMs: number): number {
  return span.anchorMs + Math.round((atMs - span.anchorMs) / span.periodMs) * span.periodMs;
}

/** The latest point of the span at or before atMs (give or take its slack), or null when it has none there. */
export function pointAtOrBefore(span: GridSpan, atMs: number): number | null {
  const pointMs = span.anchorMs + Math.floor((atMs + slackMs(span.periodMs) - span.anchorMs) / span.periodMs) * span.periodMs;
  const afterStart = span.fromMs === null || pointMs >= span.fromMs - slackMs(span.periodMs);
  const beforeEnd = span.untilMs === null || pointMs <= span.untilMs;
  return afterStart && beforeEnd ? pointMs : null;
}

export function scheduleRowOf(input: ScheduleInput, nowMs: number, windowMs: number): ScheduleRow {
  const shortestPeriodMs = Math.min(...input.spans.map((span) => span.periodMs));
  const fromMs = Math.max(nowMs - windowMs, input.knownFromMs, nowMs - MAX_RELEASES_PER_ROW * shortestPeriodMs);
  const slack = Number.isFinite(shortestPeriodMs) ? slackMs(shortestPeriodMs) : 1;
  const jobs = input.jobs.filter((job) => job.startedAtMs <= nowMs && (job.endedAtMs ?? nowMs) >= fromMs).sort((a, b) => a.startedAtMs - b.startedAtMs);
  const releases = classify(releasePoints(input.spans, jobs, fromMs, nowMs), jobs, slack, nowMs).map((release) =>
    release.kind !== 'ran' && input.pauses.some((pause) => release.atMs >= pause.fromMs && release.atMs <= (pause.untilMs ?? nowMs)) ? { ...release, kind: 'skipped' as const } : release,
  );
  const started = jobs.filter((job) => job.startedAtMs >= fromMs);
  const counts: RowCounts = {
    releases: releases.length,
    jobs: started.length,
    overruns: releases.filter((release) => release.kind === 'overrun').length,
    skipped: releases.filter((release) => release.kind === 'skipped').length,
    deadlineMisses: started.filter((job) => job.deadlineMissed).length,
  };
  return { id: input.id, name: input.name, fromMs, nowMs, releases, jobs, counts };
}

/** Every grid point in [fromMs, nowMs], and the release of every job there (a job's release is a point even off a known grid). */
function releasePoints(spans: readonly GridSpan[], jobs: readonly ScheduleJob[], fromMs: number, nowMs: number): number[] {
  const points: number[] = [];
  const drawn: Array<{ span: GridSpan; lowMs: number; highMs: number }> = [];
  for (const span of spans) {
    if (span.fromMs === null) continue;
    const lowMs = Math.max(fromMs, span.fromMs - slackMs(span.periodMs));
    const highMs = Math.min(nowMs, span.untilMs ?? nowMs);
    drawn.push({ span, lowMs, highMs });
    const first = Math.ceil((lowMs - span.anchorMs) / span.periodMs);
    const last = Math.floor((highMs - span.anchorMs) / span.periodMs);
    for (let k = first; k <= last; k++) points.push(span.anchorMs + k * span.periodMs);
  }
  for (const job of jobs) {
    const releaseMs = job.releaseAtMs;
    if (releaseMs === null || releaseMs < fromMs || releaseMs > nowMs) continue;
    const onDrawnGrid = drawn.some(({ span, lowMs, highMs }) => isOnGrid(span, releaseMs) && releaseMs >= lowMs && releaseMs <= highMs);
    if (!onDrawnGrid) points.push(releaseMs);
  }
  return points.sort((a, b) => a - b);
}

/** One sweep over the points, in time order, with the jobs' releases and the spans they held their process. */
function classify(points: readonly number[], jobs: readonly ScheduleJob[], slack: number, nowMs: number): ReleaseMark[] {
  const releases = jobs.flatMap((job) => (job.releaseAtMs === null ? [] : [job.releaseAtMs])).sort((a, b) => a - b);
  // A job holds its process from its release (it may wait for a slot first) to its end.
  const holds = jobs.map((job) => ({ fromMs: job.releaseAtMs ?? job.startedAtMs, untilMs: job.endedAtMs ?? nowMs })).sort((a, b) => a.fromMs - b.fromMs);
  let nextRelease = 0;
  let nextHold = 0;
  let heldUntilMs = -Infinity;
  return points.map((atMs) => {
    while (nextRelease < releases.length && (releases[nextRelease] ?? 0) < atMs - slack) nextRelease++;
    const ran = nextRelease < releases.length && (releases[nextRelease] ?? Infinity) <= atMs + slack;
    for (let hold = holds[nextHold]; hold !== undefined && hold.fromMs < atMs - slack; hold = holds[++nextHold]) heldUntilMs = Math.max(heldUntilMs, hold.untilMs);
    const kind: ReleaseKind = ran ? 'ran' : heldUntilMs > atMs ? 'overrun' : nowMs - atMs < DUE_GRACE_MS ? 'due' : 'skipped';
    return { atMs, kind };
  });
}
