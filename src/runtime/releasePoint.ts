// SIGMA_RELEASE_AT_MS: the release point a PERIODIC job belongs to, in epoch milliseconds on the
// clock of Date.now() as it reads when the job starts (so that a job can compare it with its own
// reading of the time, even after the wall clock was set since the daemon started).
import type { Clock } from './clock.js';

export const RELEASE_POINT_VARIABLE = 'SIGMA_RELEASE_AT_MS';

/**
 * Date.now() counts whole milliseconds, so its difference from the daemon's clock flickers by up
 * to one even while nobody sets the wall clock; a difference below this is that flicker, not a
 * step, and the job is told the release point exactly as its run records it.
 */
const WALL_READING_GRANULARITY_MS = 2;

export function releasePointVariable(releaseAtMs: number, clock: Clock): Record<string, string> {
  const wallStepMs = Date.now() - clock();
  const wallMs = releaseAtMs + (Math.abs(wallStepMs) < WALL_READING_GRANULARITY_MS ? 0 : wallStepMs);
  return { [RELEASE_POINT_VARIABLE]: wallMs.toFixed(3) };
}
