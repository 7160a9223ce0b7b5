// How values of the API read on a terminal: durations, times relative to now, exits.
import type { ProcessJson, RunJson } from './apiTypes.js';

/** 250ms, 1.5s, 2m30s, 1h5m. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${trimDecimal(ms / 1000)}s`;
  if (ms < 3_600_000) {
    const minutes = Math.floor(ms / 60_000);
    const seconds = Math.round((ms % 60_000) / 1000);
    return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  }
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.round((ms % 3_600_000) / 60_000);
  return minutes ? `${hours}h${minutes}m` : `${hours}h`;
}

/** One decimal at most, none when it is .0: 1.5, 2. */
export function trimDecimal(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}

/** "in 1.5s" or "3s ago" from an ISO time. */
export function formatRelative(iso: string | null, nowMs: number): string {
  if (!iso) return '-';
  const deltaMs = Date.parse(iso) - nowMs;
  return deltaMs >= 0 ? `in ${formatMs(deltaMs)}` : `${formatMs(-deltaMs)} ago`;
}

export function formatPeriod(periodMs: number | null): string {
  return periodMs === null ? '-' : formatMs(periodMs);
}

/** The short form for a table: the exit code, the signal, or "error". */
export function formatLastExitShort(lastExit: ProcessJson['lastExit']): string {
  if (!lastExit) return '-';
  if (lastExit.error) return 'error';
  if (lastExit.signal) return lastExit.oomKilled ? `${lastExit.signal} (OOM)` : lastExit.signal;
  return String(lastExit.code);
}

/** How a job ended, in words: "exit 0", "killed by SIGKILL (out of memory)", "could not start: ...". */
export function describeEnd(end: { code: number | null; signal: string | null; error: string | null; oomKilled: boolean }): string {
  if (end.error) return `could not start: ${end.error}`;
  if (end.signal) return `killed by ${end.signal}${end.oomKilled ? " (out of memory: its partition's memoryBytes)" : ''}`;
  return `exit ${end.code}${end.oomKilled ? " (a process of it was killed: out of memory in its partition)" : ''}`;
}

export function describeRunEnd(run: RunJson): string {
  const end = describeEnd({ code: run.exitCode, signal: run.signal, error: run.error, oomKilled: run.oomKilled });
  return run.endedBySigma && !run.error ? `${end} (ended by sigma)` : end;
}
