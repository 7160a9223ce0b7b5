// A partition: a fenced part of the node whose processes share its slots and its limits.

/** Where a process goes when none is named; it always exists. */
export const DEFAULT_PARTITION = 'default';

/** How every partition token begins, and no node token may: a client tells the two kinds apart by it. */
export const PARTITION_TOKEN_PREFIX = 'sigma_p_';

export interface PartitionLimitsSet {
  /** Slots: at most this many of its jobs hold one at once; the others wait in READY. */
  readonly maxRunning: number | null;
  /** A share of one core (0.5: half a core; 2: two cores). */
  readonly cpu: number | null;
  readonly memoryBytes: number | null;
  /** Tasks, all its jobs' together. */
  readonly pids: number | null;
  /** Quota: processes defined in it at most; a create past it is refused. */
  readonly maxProcesses: number | null;
  /** Quota: bytes of all its processes' definitions together (see definitionBytesOf). */
  readonly definitionBytes: number | null;
}

/**
 * The quotas of a partition created without them (and of one a store made before quotas):
 * with them, one partition's token cannot fill the node's memory and its answers. `default` has
 * none unless set: a node used without partitions keeps the node's ceiling, --max-processes.
 */
export const DEFAULT_PARTITION_QUOTAS = { maxProcesses: 1_000, definitionBytes: 64 * 1024 * 1024 } as const;

export interface PartitionDefinition extends PartitionLimitsSet {
  readonly name: string;
  readonly createdAtMs: number;
}
