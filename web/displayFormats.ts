// How times, durations and exits read on the page.
import type { LastExit, ManagedProcess, Run } from './apiTypes.js';

export function formatPeriod(process: ManagedProcess): string {
  return process.period === null ? '—' : formatMs(process.period);
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10_000) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}

/** How far ahead a time is, from `nowMs`: "in 4.2 s", "now" once it has come. */
export function formatUntil(iso: string, nowMs: number): string {
  const leftMs = Date.parse(iso) - nowMs;
  if (Number.isNaN(leftMs)) return iso;
  return leftMs <= 0 ? 'now' : `in ${formatMs(leftMs)}`;
}

/** Local time of day, to the second (the full ISO time goes in a tooltip). */
export function formatClock(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString(undefined, { hour12: false });
}

/** Local time of day to the millisecond, from epoch milliseconds: 14:03:07.250. */
export function formatClockMs(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(ms);
  return `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

export function formatDateTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toLocaleDateString()} ${date.toLocaleTimeString(undefined, { hour12: false })}`;
}

export function formatLastExit(exit: LastExit | null): string {
  if (exit === null) return '—';
  return `${exitWords(exit.code, exit.signal, exit.error)}${exit.oomKilled ? OOM_NOTE : ''} · ${formatMs(exit.durationMs)}`;
}

export function formatRunExit(run: Run): string {
  return exitWords(run.exitCode, run.signal, run.error) + (run.oomKilled ? OOM_NOTE : '') + (run.endedBySigma ? ' (ended by sigma)' : '');
}

const OOM_NOTE = ' (out of memory)';

function exitWords(code: number | null, signal: string | null, error: string | null): string {
  if (error !== null) return `failed: ${error}`;
  if (signal !== null) return signal;
  return code === null ? 'no exit code' : `exit ${code}`;
}

export function formatCommand(command: string[]): string {
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

const BINARY_UNITS: Array<[string, number]> = [
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
];

/** 268435456 -> 256 MiB, 1536 -> 1.5 KiB. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10} ${unit}`;
  }
  return `${bytes} B`;
}
