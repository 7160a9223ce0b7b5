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
}

export interface PartitionDefinition extends PartitionLimitsSet {
  readonly name: string;
  readonly createdAtMs: number;
}
