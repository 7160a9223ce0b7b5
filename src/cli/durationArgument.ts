// Durations on the command line: `500` or `500ms`, `1.5s`, `2m`, `1h`, read as whole milliseconds.
import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The milliseconds a duration names, or null when it is not one. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] as number);
  return Number.isInteger(ms) ? ms : null;
}

/** A commander argument parser for a duration from min to max milliseconds. */
export function durationArgument(minMs: number, maxMs: number) {
  return (text: string): number => {
    const ms = parseDurationMs(text);
    if (ms === null || ms < minMs || ms > maxMs) {
      throw new InvalidArgumentError(`must be a duration from ${minMs} ms to ${maxMs} ms: a number of ms, or with a unit (500ms, 1.5s, 2m, 1h)`);
    }
    return ms;
  };
}

/** `--restart-limit COUNT/DURATION`, e.g. `5/1m`. */
export function restartLimitArgument(maxCount: number, maxWindowMs: number) {
  return (text: string): { count: number; windowMs: number } => {
    const [countText, windowText, ...rest] = text.split('/');
    const count = Number(countText);
    const windowMs = windowText === undefined ? null : parseDurationMs(windowText);
    if (rest.length > 0 || !/^\d+$/.test(countText ?? '') || count < 1 || count > maxCount || windowMs === null || windowMs < 1 || windowMs > maxWindowMs) {
      throw new InvalidArgumentError(`must be COUNT/DURATION: at most COUNT restarts (1 to ${maxCount}) inside DURATION (e.g. 5/1m)`);
    }
    return { count, windowMs };
  };
}
