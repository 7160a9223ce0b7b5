// Writing a partition's limits into cgroup control files, and reading its accounting back: a
// value the kernel refuses is answered as a limit that does not hold, with why, never thrown.
import { readControl, writeControl } from './jobCgroups.js';
import { CGROUP_LIMITS, unenforcedBy, type CgroupLimitName, type LimitSupport, type PartitionLimits, type UnenforcedLimit } from './partitionLimits.js';

/** The period of every partition's CPU quota: a cpu share of 0.2 is 20 000 µs of every 100 000. */
export const CPU_PERIOD_US = 100_000;
/** The smallest quota the kernel takes (1 ms). */
const MIN_CPU_QUOTA_US = 1000;

export function cpuQuotaUs(cpu: number): number {
  return Math.max(MIN_CPU_QUOTA_US, Math.round(cpu * CPU_PERIOD_US));
}

const REFUSALS: Record<string, string> = {
  EBUSY: 'the partition already uses more than that, and the kernel could not reclaim enough',
  EINVAL: 'a value this cgroup does not take (more than a parent cgroup allows?)',
  ENOENT: 'the control file is missing',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** Writes one control file of a limit; the refusal, if the kernel refuses. */
export function writeLimit(limit: CgroupLimitName, path: string, value: string): UnenforcedLimit | null {
  try {
    writeControl(path, value);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = REFUSALS[code] ?? (error as Error).message;
    return { limit, reason: `the kernel refused ${value} in ${path} (${code}: ${why})` };
  }
}

/** The first number in a control file (or on its line starting with `key `), null if unreadable. */
export function readCounter(path: string, key?: string): number | null {
  const text = readControl(path);
  if (text === null) return null;
  const line = key === undefined ? text : text.split('\n').find((entry) => entry.startsWith(`${key} `))?.slice(key.length + 1);
  const raw = (line ?? '').trim();
  const value = Number(raw);
  return raw === '' || !Number.isFinite(value) ? null : value;
}

/** Writes one limit's control files (null: lifts it); the refusal, if the kernel refuses. */
export type LimitWriter<T> = (dir: T, value: number | null) => UnenforcedLimit | null;

/**
 * Makes the partition's cgroup (`make` answers what the writers need of it), then writes every
 * limit this node supports, unset ones too (that lifts the one set before). Answers what does
 * not hold: the set limits the node cannot enforce, and whatever the kernel refused.
 */
export function applyLimits<T>(
  support: LimitSupport,
  limits: PartitionLimits,
  make: () => T,
  writers: Readonly<Record<CgroupLimitName, LimitWriter<T>>>,
): UnenforcedLimit[] {
  let made: T;
  try {
    made = make();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // Each set limit, with the same reason.
    const reason = `the partition's cgroup cannot be made (${code}: ${(error as Error).message})`;
    return unenforcedBy({ cpu: reason, memoryBytes: reason, pids: reason }, limits);
  }
  const unenforced = unenforcedBy(support, limits);
  for (const limit of CGROUP_LIMITS) {
    const refusal = support[limit] === null ? writers[limit](made, limits[limit]) : null;
    if (refusal !== null) unenforced.push(refusal);
  }
  return unenforced;
}
