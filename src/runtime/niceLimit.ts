// How far this node lets a job's priority be raised: a nice value below the daemon's own needs
// CAP_SYS_NICE, or an RLIMIT_NICE that allows it (setpriority(2)); read once at start.
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';

export const NICE_MIN = -20;
export const NICE_MAX = 19;
const CAP_SYS_NICE = 23n;

/** The lowest nice value a job may be given, from the caller's nice, its capabilities and its RLIMIT_NICE. */
export function lowestNiceOf(currentNice: number, effectiveCaps: bigint | null, rlimitNice: number | null): number {
  if (effectiveCaps !== null && ((effectiveCaps >> CAP_SYS_NICE) & 1n) === 1n) return NICE_MIN;
  // RLIMIT_NICE n allows nice values down to 20 - n.
  const allowed = rlimitNice === null ? NICE_MAX + 1 : 20 - rlimitNice;
  return Math.max(NICE_MIN, Math.min(currentNice, allowed));
}

export function readLowestNice(): number {
  return lowestNiceOf(getPriority(), readEffectiveCaps(), readRlimitNice());
}

function readEffectiveCaps(): bigint | null {
  try {
    const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? BigInt(`0x${match[1]}`) : null;
  } catch {
    return null;
  }
}

function readRlimitNice(): number | null {
  try {
    const match = /^Max nice priority\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!match || match[1] === 'unlimited') return match ? 40 : null;
    return Number(match[1]);
  } catch {
    return null;
  }
}
