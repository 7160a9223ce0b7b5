// The node's partitions: their definitions (stored), the limits their cgroups hold, and what
// does not hold. Processes are counted by the supervisor, which owns them.
import type { PartitionDefinition, PartitionLimitsSet } from '../core/partition.js';
import { PartitionExistsError, PartitionNotFoundError } from '../errors/sigmaErrors.js';
import type { PartitionCgroups, PartitionUsage, UnenforcedLimit } from '../runtime/partitionLimits.js';
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

  maxRunningOf(name: string): number | null {
    return this.entries.get(name)?.definition.maxRunning ?? null;
  }

  usageOf(name: string): PartitionUsage {
    return this.cgroups.usage(name);
  }

  create(definition: PartitionDefinition): PartitionEntry {
    if (this.entries.has(definition.name)) throw new PartitionExistsError(definition.name);
    this.store.insert(definition);
    const entry = this.enforce(definition);
    this.entries.set(definition.name, entry);
    this.logger.info({ partition: definition.name, ...limitsOf(definition) }, 'partition created');
    return entry;
  }

  /** `change` holds the limits to change (null removes one); the others keep theirs. */
  changeLimits(name: string, change: Partial<PartitionLimitsSet>): PartitionEntry {
    const definition: PartitionDefinition = { ...this.get(name).definition, ...change };
    this.store.update(definition);
    const entry = this.enforce(definition);
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
    const unenforced = this.cgroups.apply(definition.name, definition);
    if (unenforced.length > 0) this.logger.warn({ partition: definition.name, unenforced }, 'limits of a partition that this node cannot enforce');
    return { definition, unenforced };
  }
}

function limitsOf({ maxRunning, cpu, memoryBytes, pids }: PartitionLimitsSet): PartitionLimitsSet {
  return { maxRunning, cpu, memoryBytes, pids };
}
