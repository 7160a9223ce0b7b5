// How far a job's priority may be raised, from the daemon's nice, its capabilities and RLIMIT_NICE.
import { describe, expect, it } from 'vitest';
import { lowestNiceOf } from '../../src/runtime/niceLimit.js';

const WITH_SYS_NICE = 1n << 23n;
const WITHOUT_SYS_NICE = 0x1fffeffffffn & ~WITH_SYS_NICE;

describe('lowestNiceOf', () => {
  it('allows -20 with CAP_SYS_NICE, whatever the limit', () => {
    expect(lowestNiceOf(0, WITH_SYS_NICE, 0)).toBe(-20);
    expect(lowestNiceOf(5, WITH_SYS_NICE | 1n, null)).toBe(-20);
  });

  it('without it, allows nothing below the daemon\'s own nice under RLIMIT_NICE 0', () => {
    expect(lowestNiceOf(0, WITHOUT_SYS_NICE, 0)).toBe(0);
    expect(lowestNiceOf(4, 0n, 0)).toBe(4);
    expect(lowestNiceOf(0, null, null)).toBe(0);
  });

  it('without it, allows down to 20 - RLIMIT_NICE', () => {
    expect(lowestNiceOf(0, 0n, 25)).toBe(-5);
    expect(lowestNiceOf(0, 0n, 40)).toBe(-20);
    expect(lowestNiceOf(0, 0n, 15)).toBe(0);
  });
});
