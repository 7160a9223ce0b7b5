// The daemon's one clock: monotonic (it never jumps with NTP or the operator's `date`),
// expressed in epoch milliseconds so the same reading can be shown as an ISO timestamp.
import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export const monotonicNowMs: Clock = () => performance.timeOrigin + performance.now();

/**
 * CLOCK_MONOTONIC plus a fixed anchor (the wall clock minus the monotonic one, read once by the
 * launcher when it started): every daemon that adopts the same launcher reads the same instant
 * the same way, so times stored by one are on the next one's clock.
 */
export function anchoredClock(anchorMs: number): Clock {
  const offsetMs = anchorMs + (Number(process.hrtime.bigint()) / 1e6 - performance.now());
  return () => offsetMs + performance.now();
}

export function isoOf(epochMs: number): string {
  return new Date(Math.round(epochMs)).toISOString();
}
