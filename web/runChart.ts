// A small inline SVG chart of a PERIODIC process's recent runs: release lateness and job
// duration, oldest on the left, each series on its own scale. With a time capacity, the duration
// chart draws it (the deadline, counted from the release) and marks the runs that missed it.
import type { Run } from './apiTypes.js';
import { formatMs } from './displayFormats.js';
import { el, svg } from './elements.js';

const WIDTH = 320;
const HEIGHT = 110;
const PAD = { left: 52, right: 8, top: 10, bottom: 20 };

interface Series {
  title: string;
  className: string;
  valuesMs: number[];
  /** Per value: whether its run missed its deadline (drawn apart). */
  missed?: boolean[];
  /** A line across the chart: the time capacity. */
  deadlineMs?: number | null;
}

export function runChart(runsNewestFirst: readonly Run[], timeCapacityMs: number | null = null): HTMLElement {
  const runs = [...runsNewestFirst].reverse();
  const lateness = runs.map((run) => run.releaseLatenessMs).filter((value): value is number => value !== null);
  const ended = runs.filter((run) => run.error === null);
  const misses = runs.filter((run) => run.deadlineMissed).length;
  const deadline =
    timeCapacityMs === null ? '' : ` The dashed line: its time capacity, ${formatMs(timeCapacityMs)} after each release (the deadline); ${misses === 1 ? 'one run' : `${misses} runs`} of these missed it (in red).`;
  return el('figure', { className: 'run-chart' }, [
    el('div', { className: 'charts' }, [
      seriesChart({ title: 'Release lateness', className: 'lateness', valuesMs: lateness }),
      seriesChart({ title: 'Job duration', className: 'duration', valuesMs: ended.map((run) => run.durationMs), missed: ended.map((run) => run.deadlineMissed), deadlineMs: timeCapacityMs }),
    ]),
    el('figcaption', { className: 'hint', text: `The last ${runs.length} runs, oldest on the left. Lateness: how long after its ideal release point the job started.${deadline}` }),
  ]);
}

function seriesChart(series: Series): HTMLElement {
  const { valuesMs } = series;
  const heading = el('h4', { text: series.title });
  if (valuesMs.length === 0) return el('div', { className: `chart chart-${series.className}` }, [heading, el('p', { className: 'empty', text: 'No runs yet.' })]);
  const maxMs = Math.max(...valuesMs);
  const minMs = Math.min(...valuesMs);
  const deadlineMs = series.deadlineMs ?? null;
  const highestMs = Math.max(maxMs, deadlineMs ?? 0);
  const topMs = highestMs > 0 ? niceCeiling(highestMs) : 1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index: number): number => PAD.left + (valuesMs.length === 1 ? plotWidth / 2 : (index * plotWidth) / (valuesMs.length - 1));
  const y = (valueMs: number): number => PAD.top + plotHeight - (Math.max(0, valueMs) / topMs) * plotHeight;
  const points = valuesMs.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
  const mean = valuesMs.reduce((sum, value) => sum + value, 0) / valuesMs.length;
  const summary = `min ${formatMs(minMs)}, mean ${formatMs(mean)}, max ${formatMs(maxMs)}`;
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': `${series.title} of the last ${valuesMs.length} runs: ${summary}`, class: 'chart-svg' }, [
    svg('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: PAD.top + plotHeight, class: 'axis' }),
    svg('line', { x1: PAD.left, y1: PAD.top + plotHeight, x2: WIDTH - PAD.right, y2: PAD.top + plotHeight, class: 'axis' }),
    svg('line', { x1: PAD.left, y1: y(topMs / 2), x2: WIDTH - PAD.right, y2: y(topMs / 2), class: 'grid' }),
    axisLabel(PAD.left - 4, PAD.top + 4, formatMs(topMs)),
    axisLabel(PAD.left - 4, y(topMs / 2) + 4, formatMs(topMs / 2)),
    axisLabel(PAD.left - 4, PAD.top + plotHeight + 4, '0'),
    svg('text', { x: PAD.left, y: HEIGHT - 4, class: 'tick' }, ['older']),
    svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 4, class: 'tick', 'text-anchor': 'end' }, ['newest']),
    ...(deadlineMs === null
      ? []
      : [svg('line', { x1: PAD.left, y1: y(deadlineMs), x2: WIDTH - PAD.right, y2: y(deadlineMs), class: 'deadline' }, [svg('title', {}, [`time capacity: ${formatMs(deadlineMs)}`])])]),
    svg('polyline', { points, class: 'series' }),
    ...valuesMs.map((value, index) => {
      const missed = series.missed?.[index] === true;
      return svg('circle', { cx: x(index).toFixed(1), cy: y(value).toFixed(1), r: missed ? 3.5 : 2.5, class: missed ? 'point missed' : 'point' }, [
        svg('title', {}, [missed ? `${formatMs(value)}: missed its deadline` : formatMs(value)]),
      ]);
    }),
  ]);
  return el('div', { className: `chart chart-${series.className}` }, [heading, chart, el('p', { className: 'hint', text: summary })]);
}

function axisLabel(x: number, y: number, text: string): SVGTextElement {
  return svg('text', { x, y, class: 'tick', 'text-anchor': 'end' }, [text]);
}

/** 1, 2 or 5 times a power of ten, at least the value: round numbers on the axis. */
function niceCeiling(valueMs: number): number {
  const power = 10 ** Math.floor(Math.log10(valueMs));
  for (const step of [1, 2, 5, 10]) if (step * power >= valueMs) return step * power;
  return 10 * power;
}
