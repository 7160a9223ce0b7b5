// Draws the schedule timeline from plain data (scheduleRows.ts) as inline SVG, one picture per
// process: a tick per release point, a bar per job from its start to its end (open to now while it
// runs, red when it missed its deadline), a line from each release to its job's start (the
// lateness), and an X on a release that had no job of its own. Also the time axis and the legend.
import { formatClockMs, formatMs } from './displayFormats.js';
import { el, svg } from './elements.js';
import type { ReleaseMark, ScheduleJob, ScheduleRow } from './scheduleRows.js';

const ROW_HEIGHT = 28;
const AXIS_HEIGHT = 16;
const PAD_X = 6;
const BAR = { top: 11, height: 10 };
/** A bar never narrower than this, so that a short job still shows. */
const MIN_BAR_PX = 1.5;
/** Steps of the time axis, in seconds: the smallest that leaves at most six labels. */
const AXIS_STEPS_S = [1, 2, 5, 10, 15, 20, 30, 60];

export interface TimelineFrame {
  nowMs: number;
  windowMs: number;
  /** The drawing's width in CSS pixels: the SVG is drawn at its own size, so marks keep their shape. */
  widthPx: number;
}

export function drawScheduleRow(target: SVGSVGElement, row: ScheduleRow, frame: TimelineFrame): void {
  const x = xScale(frame);
  const windowStartMs = frame.nowMs - frame.windowMs;
  target.setAttribute('viewBox', `0 0 ${frame.widthPx} ${ROW_HEIGHT}`);
  target.setAttribute('aria-label', rowSummary(row, frame.windowMs));
  const unknown =
    row.fromMs > windowStartMs + 1
      ? svg('rect', { x: 0, y: 0, width: Math.max(0, x(row.fromMs)).toFixed(1), height: ROW_HEIGHT, class: 'unknown' }, [
          svg('title', {}, ['Not drawn: earlier than the runs the page knows of (the node keeps the last 100), or more release points than fit']),
        ])
      : null;
  target.replaceChildren(
    ...axisSteps(frame).map((atMs) => svg('line', { x1: x(atMs).toFixed(1), y1: 0, x2: x(atMs).toFixed(1), y2: ROW_HEIGHT, class: 'grid' })),
    ...(unknown ? [unknown] : []),
    svg('line', { x1: PAD_X, y1: BAR.top + BAR.height, x2: frame.widthPx - PAD_X, y2: BAR.top + BAR.height, class: 'lane' }),
    ...row.releases.map((release) => svg('line', { x1: x(release.atMs).toFixed(1), y1: 2, x2: x(release.atMs).toFixed(1), y2: ROW_HEIGHT - 2, class: `release ${release.kind}` })),
    ...row.jobs.flatMap((job) => lateness(job, x, row.fromMs)),
    ...row.jobs.map((job) => bar(job, x, row)),
    ...row.releases.filter((release) => release.kind === 'overrun' || release.kind === 'skipped').map((release) => missMark(release, x(release.atMs))),
  );
}

/** The axis under the rows: seconds before now. */
export function drawTimeAxis(target: SVGSVGElement, frame: TimelineFrame): void {
  const x = xScale(frame);
  target.setAttribute('viewBox', `0 0 ${frame.widthPx} ${AXIS_HEIGHT}`);
  target.replaceChildren(
    ...axisSteps(frame).map((atMs) => {
      const agoMs = frame.nowMs - atMs;
      const anchor = agoMs === 0 ? 'end' : agoMs === frame.windowMs ? 'start' : 'middle';
      return svg('text', { x: x(atMs).toFixed(1), y: AXIS_HEIGHT - 4, 'text-anchor': anchor }, [agoMs === 0 ? 'now' : `−${seconds(agoMs)}`]);
    }),
  );
}

/** What a screen reader says of a row: "ticker: 12 releases, 11 jobs, 1 overrun, 0 skipped, 2 deadline misses in the last 10 s". */
export function rowSummary(row: ScheduleRow, windowMs: number): string {
  const { counts } = row;
  const spanMs = row.nowMs - row.fromMs >= windowMs - 1 ? windowMs : row.nowMs - row.fromMs;
  return (
    `${row.name}: ${counted(counts.releases, 'release')}, ${counted(counts.jobs, 'job')}, ${counted(counts.overruns, 'overrun')}, ` +
    `${counts.skipped} skipped, ${counted(counts.deadlineMisses, 'deadline miss', 'deadline misses')} in the last ${seconds(spanMs)}`
  );
}

export function timelineLegend(): HTMLElement {
  const item = (text: string, ...marks: SVGElement[]): HTMLElement =>
    el('li', {}, [svg('svg', { viewBox: '0 0 22 14', width: 22, height: 14, class: 'timeline-svg', 'aria-hidden': 'true' }, marks), text]);
  const legendBar = (className: string): SVGElement => svg('rect', { x: 2, y: 3, width: 18, height: 8, class: className });
  return el('ul', { className: 'timeline-legend', attrs: { 'aria-label': 'Legend' } }, [
    item('release point', svg('line', { x1: 11, y1: 0, x2: 11, y2: 14, class: 'release' })),
    item('job, start to end', legendBar('job')),
    item('job running now', legendBar('job running')),
    item('lateness: release to start', svg('line', { x1: 2, y1: 7, x2: 20, y2: 7, class: 'lateness' })),
    item('deadline missed', legendBar('job missed')),
    item('overrun: the previous job still ran', cross(11, 7, 'mark overrun')),
    item('skipped', cross(11, 7, 'mark skipped')),
  ]);
}

function xScale(frame: TimelineFrame): (atMs: number) => number {
  const plotPx = Math.max(1, frame.widthPx - 2 * PAD_X);
  const startMs = frame.nowMs - frame.windowMs;
  return (atMs) => PAD_X + ((atMs - startMs) / frame.windowMs) * plotPx;
}

function axisSteps(frame: TimelineFrame): number[] {
  const stepMs = 1000 * (AXIS_STEPS_S.find((seconds) => (seconds * 1000 * 6) >= frame.windowMs) ?? 60);
  const steps: number[] = [];
  for (let agoMs = 0; agoMs <= frame.windowMs; agoMs += stepMs) steps.push(frame.nowMs - agoMs);
  return steps;
}

function lateness(job: ScheduleJob, x: (atMs: number) => number, fromMs: number): SVGElement[] {
  if (job.releaseAtMs === null || job.releaseAtMs < fromMs) return [];
  const x1 = x(job.releaseAtMs);
  const x2 = x(job.startedAtMs);
  if (x2 - x1 < 0.5) return [];
  const y = BAR.top + BAR.height / 2;
  return [svg('line', { x1: x1.toFixed(1), y1: y, x2: x2.toFixed(1), y2: y, class: 'lateness' })];
}

function bar(job: ScheduleJob, x: (atMs: number) => number, row: ScheduleRow): SVGElement {
  const running = job.endedAtMs === null;
  const x1 = x(Math.max(job.startedAtMs, row.fromMs));
  const x2 = x(job.endedAtMs ?? row.nowMs);
  const classes = ['job', running ? 'running' : '', job.deadlineMissed ? 'missed' : ''].filter((name) => name !== '').join(' ');
  return svg('rect', { x: x1.toFixed(1), y: BAR.top, width: Math.max(MIN_BAR_PX, x2 - x1).toFixed(1), height: BAR.height, class: classes }, [
    svg('title', {}, [jobTitle(job, row.nowMs)]),
  ]);
}

function jobTitle(job: ScheduleJob, nowMs: number): string {
  const who = job.pid === null ? 'job' : `job ${job.pid}`;
  const when =
    job.endedAtMs === null
      ? `running since ${formatClockMs(job.startedAtMs)} (${formatMs(nowMs - job.startedAtMs)})`
      : `${formatClockMs(job.startedAtMs)} to ${formatClockMs(job.endedAtMs)} (${formatMs(job.endedAtMs - job.startedAtMs)})`;
  const released = job.releaseAtMs === null ? '' : `, released at ${formatClockMs(job.releaseAtMs)}`;
  const late = job.latenessMs === null ? '' : `, started ${formatMs(job.latenessMs)} late`;
  return `${who} ${when}${released}${late}${job.deadlineMissed ? '; missed its deadline' : ''}`;
}

function missMark(release: ReleaseMark, xPx: number): SVGElement {
  const title =
    release.kind === 'overrun'
      ? `overrun at ${formatClockMs(release.atMs)}: the previous job was still running`
      : `skipped at ${formatClockMs(release.atMs)}: no job was started`;
  const mark = cross(xPx, 6, `mark ${release.kind}`);
  mark.prepend(svg('title', {}, [title]));
  return mark;
}

function cross(cx: number, cy: number, className: string): SVGElement {
  const size = 4;
  return svg('g', { class: className }, [
    svg('line', { x1: (cx - size).toFixed(1), y1: cy - size, x2: (cx + size).toFixed(1), y2: cy + size }),
    svg('line', { x1: (cx - size).toFixed(1), y1: cy + size, x2: (cx + size).toFixed(1), y2: cy - size }),
  ]);
}

/** 10 s, 2.5 s: the window and the axis speak in seconds. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function counted(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
