// The printed table and bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import Table from 'cli-table3';
import { describeBar, type Figure } from './figures.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverageAtStart: readonly number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

export function formatNumber(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

function metText(figure: Figure): string {
  if (!figure.bar) return '';
  if (figure.met === null || figure.met === undefined) return 'n/a';
  return figure.met ? 'met' : 'MISSED';
}

export function renderTable(figures: readonly Figure[]): string {
  const table = new Table({
    head: ['figure', 'sigma', 'baseline', 'ratio', 'bar', ''],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [62, 16, 28, 9, 10, 8],
  });
  let section = '';
  for (const figure of figures) {
    if (figure.section !== section) {
      section = figure.section;
      table.push([{ colSpan: 6, content: section.toUpperCase() }]);
    }
    const baseline = figure.baselineLabel ? `${formatNumber(figure.baseline ?? null, figure.unit)} (${figure.baselineLabel})` : '';
    const value = figure.value === null && figure.note ? figure.note : formatNumber(figure.value, figure.unit);
    table.push([
      figure.label + (figure.note && figure.value !== null ? ` [${figure.note}]` : ''),
      value,
      baseline,
      figure.ratio === undefined ? '' : formatNumber(figure.ratio),
      figure.bar ? describeBar(figure.bar) : '',
      metText(figure),
    ]);
  }
  return table.toString();
}

/** A markdown version of the table, for bench/README.md and notes. */
export function renderMarkdown(figures: readonly Figure[]): string {
  const lines = ['| figure | sigma | baseline | ratio | bar | |', '| --- | --- | --- | --- | --- | --- |'];
  for (const figure of figures) {
    const baseline = figure.baselineLabel ? `${formatNumber(figure.baseline ?? null, figure.unit)} (${figure.baselineLabel})` : '';
    const value = figure.value === null && figure.note ? figure.note : formatNumber(figure.value, figure.unit);
    lines.push(
      `| ${figure.label}${figure.note && figure.value !== null ? ` [${figure.note}]` : ''} | ${value} | ${baseline} | ${figure.ratio === undefined ? '' : formatNumber(figure.ratio)} | ${figure.bar ? describeBar(figure.bar) : ''} | ${metText(figure)} |`,
    );
  }
  return lines.join('\n');
}

export function writeResults(path: string, content: object): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
}
