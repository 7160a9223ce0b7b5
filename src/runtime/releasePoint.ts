// SIGMA_RELEASE_AT_MS: the release point a PERIODIC job belongs to, in epoch milliseconds on the
// clock of Date.now() as it reads when the job starts (so that a job can compare it with its own
// reading of the time, even after the wall clock was set since the daemon started).
import type { Clock } from './clock.js';

export const RELEASE_POINT_VARIABLE = 'SIGMA_RELEASE_AT_MS';

export function releasePointVariable(releaseAtMs: number, clock: Clock): Record<string, string> {
  const wallMs = Date.now() + (releaseAtMs - clock());
  return { [RELEASE_POINT_VARIABLE]: wallMs.toFixed(3) };
}
