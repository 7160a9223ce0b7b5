// SIGMA_RELEASE_AT_MS as the in-process host gives it: the run's release point itself while the
// wall clock keeps pace with the daemon's, shifted by the step once the wall clock was set.
import { describe, expect, it } from 'vitest';
import { releasePointVariable } from '../../src/runtime/releasePoint.js';

const RELEASE_AT_MS = 1_796_621_176_850;

describe('releasePointVariable', () => {
  it('gives the release point exactly when the daemon clock differs from Date.now() by less than its granularity', () => {
    for (const fractionMs of [0, 0.2, 0.5, 0.9, -0.4]) {
      const clock = (): number => Date.now() + fractionMs;
      expect(releasePointVariable(RELEASE_AT_MS, clock)).toEqual({ SIGMA_RELEASE_AT_MS: '1796621176850.000' });
    }
  });

  it('moves the release point by a step of the wall clock since the daemon started', () => {
    const wallSetBackMs = 60_000;
    const clock = (): number => Date.now() + wallSetBackMs;
    const variable = Number(releasePointVariable(RELEASE_AT_MS, clock).SIGMA_RELEASE_AT_MS);
    expect(Math.abs(variable - (RELEASE_AT_MS - wallSetBackMs))).toBeLessThan(2);
  });
});
