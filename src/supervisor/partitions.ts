// The node's partitions: their definitions (stored), the limits their cgroups hold, and what
// does not hold. Processes are counted by the supervisor, which owns them.
import type { PartitionDefinition, PartitionLimitsSet } from '../core/partition.js';
import { PartitionExistsError, PartitionLimitRefusedError, PartitionNotFoundError } from '../errors/sigmaErrors.js';
import { CGROUP_LIMITS, type CgroupLimitName, type PartitionCgroups, type PartitionUsage, type UnenforcedLimit } from '../runtime/partitionLimits.js';
import type { PartitionStore } from '../runtime/partitionStore.js';
import type { SupervisorLogger } from './supervisor.js';

export interface PartitionEntry {
  readonly definition: PartitionDefinition;
  /** The set limits that do not hold on this node, and why. */
  readonly unenforced: readonly UnenforcedLimit[];
}

export class Partitions {
  private readonly entries = new Map<string, PartitionEntry>();
  private readonly removedListeners = new Set<(name: string) => void>();

  constructor(
    private readonly store: PartitionStore,
    private readonly cgroups: PartitionCgroups,
    private readonly logger: SupervisorLogger,
  ) {}

  /** Reads the stored partitions and makes their cgroups hold their limits again. */
  load(): void {
    for (const definition of this.store.list()) this.entries.set(definition.name, this.enforce(definition));
  }

  list(): PartitionEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.definition.name < b.definition.name ? -1 : 1));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): PartitionEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new PartitionNotFoundError(name);
    return entry;
  }

  /** Whether the partition's cgroup holds a limit its jobs must not run outside of. */
  hasCgroupLimits(name: string): boolean {
    const definition = this.entries.get(name)?.definition;
    return definition !== undefined && CGROUP_LIMITS.some((limit) => definition[limit] !== null);
  }

  /** Whether the partition holds its jobs to a number of tasks (`pids`). */
  limitsTasks(name: string): boolean {
    return (this.entries.get(name)?.definition.pids ?? null) !== null;
  }

  quotasOf(name: string): Pick<PartitionLimitsSet, 'maxProcesses' | 'definitionBytes'> {
    const definition = this.get(name).definition;
    return { maxProcesses: definition.maxProcesses, definitionBytes: definition.definitionBytes };
  }

  maxRunningOf(name: string): number | null {
    return this.entries.get(name)?.definition.maxRunning ?? null;
  }

  usageOf(name: string): PartitionUsage {
    return this.cgroups.usage(name);
  }

  /** Refused, changing nothing, when the kernel refuses one of its limits. */
  create(definition: PartitionDefinition): PartitionEntry {
    if (this.entries.has(definition.name)) throw new PartitionExistsError(definition.name);
    const unenforced = this.cgroups.apply(definition.name, definition);
    const refused = this.refusals(unenforced, CGROUP_LIMITS);
    if (refused.length > 0) {
      this.cgroups.remove(definition.name);
      throw new PartitionLimitRefusedError(definition.name, refused);
    }
    try {
      this.store.insert(definition);
    } catch (error) {
      this.cgroups.remove(definition.name);
      throw error;
    }
    const entry = this.report({ definition, unenforced });
    this.entries.set(definition.name, entry);
    this.logger.info({ partition: definition.name, ...limitsOf(definition) }, 'partition created');
    return entry;
  }

  /**
   * `change` holds the limits to change (null removes one); the others keep theirs. When the
   * kernel refuses one of them (a memory limit below what the partition uses now), the limits
   * before are written back and nothing changes.
   */
  changeLimits(name: string, change: Partial<PartitionLimitsSet>): PartitionEntry {
    const before = this.get(name).definition;
    const definition: PartitionDefinition = { ...before, ...change };
    const unenforced = this.cgroups.apply(name, definition);
    const changed = CGROUP_LIMITS.filter((limit) => change[limit] !== undefined && change[limit] !== before[limit]);
    const refused = this.refusals(unenforced, changed);
    if (refused.length > 0) {
      this.cgroups.apply(name, before);
      throw new PartitionLimitRefusedError(name, refused);
    }
    try {
      this.store.update(definition);
    } catch (error) {
      this.cgroups.apply(name, before);
      throw error;
    }
    const entry = this.report({ definition, unenforced });
    this.entries.set(name, entry);
    this.logger.info({ partition: name, ...limitsOf(definition) }, 'partition limits changed');
    return entry;
  }

  /** The caller has made sure the partition has no process left. */
  remove(name: string): void {
    this.get(name);
    this.store.remove(name);
    this.entries.delete(name);
    if (!this.cgroups.remove(name)) this.logger.warn({ partition: name }, 'the cgroup of a deleted partition could not be removed');
    this.logger.info({ partition: name }, 'partition deleted');
    for (const listener of this.removedListeners) listener(name);
  }

  onRemoved(listener: (name: string) => void): void {
    this.removedListeners.add(listener);
  }

  private enforce(definition: PartitionDefinition): PartitionEntry {
    return this.report({ definition, unenforced: this.cgroups.apply(definition.name, definition) });
  }

  private report(entry: PartitionEntry): PartitionEntry {
    const { definition, unenforced } = entry;
    if (unenforced.length > 0) this.logger.warn({ partition: definition.name, unenforced }, 'limits of a partition that this node does not hold');
    return entry;
  }

  /** What the kernel refused of `limits`, which this node could otherwise enforce. */
  private refusals(unenforced: readonly UnenforcedLimit[], limits: readonly CgroupLimitName[]): string[] {
    return unenforced.filter(({ limit }) => limits.includes(limit) && this.cgroups.support[limit] === null).map(({ reason }) => reason);
  }
}

/** Only the limits of a definition (its name and creation time left out). */
export function limitsOf({ maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes }: PartitionLimitsSet): PartitionLimitsSet {
  return { maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes };
}
