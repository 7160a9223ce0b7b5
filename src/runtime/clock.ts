// The daemon's one clock: monotonic (it never jumps with NTP or the operator's `date`),
// expressed in epoch milliseconds so the same reading can be shown as an ISO timestamp.
import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export const monotonicNowMs: Clock = () => performance.timeOrigin + performance.now();

export function isoOf(epochMs: number): string {
  return new Date(Math.round(epochMs)).toISOString();
}
