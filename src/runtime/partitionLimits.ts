// The limits a partition's cgroup enforces, and what the node can say of them.

export const CGROUP_LIMITS = ['cpu', 'memoryBytes', 'pids'] as const;
export type CgroupLimitName = (typeof CGROUP_LIMITS)[number];

/** Each null: no such limit. cpu is a share of one core (0.5: half a core; 2: two cores). */
export interface PartitionLimits {
  readonly cpu: number | null;
  readonly memoryBytes: number | null;
  readonly pids: number | null;
}

/** A limit that is set but does not hold, and why. */
export interface UnenforcedLimit {
  readonly limit: CgroupLimitName;
  readonly reason: string;
}

/** The partition cgroup's own accounting; null where the node has none. */
export interface PartitionUsage {
  readonly cpuMs: number | null;
  readonly memoryBytes: number | null;
  readonly pids: number | null;
}

/** For each limit, why this node cannot enforce it, or null when it can. */
export type LimitSupport = Readonly<Record<CgroupLimitName, string | null>>;

/** The partitions' cgroups, as the supervisor uses them. */
export interface PartitionCgroups {
  readonly support: LimitSupport;
  /** Makes (or keeps) the partition's cgroup and writes its limits; answers the set limits that do not hold. */
  apply(partition: string, limits: PartitionLimits): UnenforcedLimit[];
  usage(partition: string): PartitionUsage;
  /** Removes the partition's cgroup (it has no job by then); false if it could not. */
  remove(partition: string): boolean;
}

/** Partition cgroups that can be made again with the limits last written: for one removed from outside. */
export interface RestorablePartitionCgroups extends PartitionCgroups {
  /** Makes the partition's cgroup again with the limits last applied to it (none if never). */
  restore(partition: string): void;
}

const NO_LIMITS: PartitionLimits = { cpu: null, memoryBytes: null, pids: null };

export function restorable(partitions: PartitionCgroups): RestorablePartitionCgroups {
  const applied = new Map<string, PartitionLimits>();
  return {
    support: partitions.support,
    apply(partition, limits) {
      applied.set(partition, limits);
      return partitions.apply(partition, limits);
    },
    usage: (partition) => partitions.usage(partition),
    remove(partition) {
      applied.delete(partition);
      return partitions.remove(partition);
    },
    restore(partition) {
      partitions.apply(partition, applied.get(partition) ?? NO_LIMITS);
    },
  };
}

export const NO_USAGE: PartitionUsage = { cpuMs: null, memoryBytes: null, pids: null };

/** Where no cgroup can be made: every set limit is reported, with the reason, never silently dropped. */
export function partitionsWithoutCgroups(reason: string): PartitionCgroups {
  const support: LimitSupport = { cpu: reason, memoryBytes: reason, pids: reason };
  return {
    support,
    apply: (_partition, limits) => unenforcedBy(support, limits),
    usage: () => NO_USAGE,
    remove: () => true,
  };
}

/** The set limits that `support` says cannot be enforced. */
export function unenforcedBy(support: LimitSupport, limits: PartitionLimits): UnenforcedLimit[] {
  const unenforced: UnenforcedLimit[] = [];
  for (const limit of CGROUP_LIMITS) {
    const reason = support[limit];
    if (limits[limit] !== null && reason !== null) unenforced.push({ limit, reason });
  }
  return unenforced;
}
