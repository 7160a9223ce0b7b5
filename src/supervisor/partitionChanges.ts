// How a partition, its limits and its tokens change: on a node on its own, here; in a fleet, here
// and in etcd, for every node (src/fleet/fleetPartitions.ts). Each refuses, changing nothing,
// what it cannot do.
import type { PartitionDefinition, PartitionLimitsSet } from '../core/partition.js';
import type { StoredPartitionToken } from '../runtime/partitionStore.js';
import type { PartitionTokens } from './partitionTokens.js';
import type { Partitions } from './partitions.js';
import type { Supervisor } from './supervisor.js';

export type MadeToken = StoredPartitionToken & { readonly token: string };

export interface PartitionChanges {
  create(definition: PartitionDefinition): Promise<void>;
  changeLimits(name: string, change: Partial<PartitionLimitsSet>): Promise<void>;
  remove(name: string): Promise<void>;
  createToken(partition: string, label: string | null, createdAtMs: number): Promise<MadeToken>;
  revokeToken(partition: string, tokenId: number): Promise<void>;
}

/** The node's own partitions, changed in its store alone. */
export class LocalPartitionChanges implements PartitionChanges {
  constructor(
    readonly supervisor: Supervisor,
    readonly partitions: Partitions,
    readonly tokens: PartitionTokens,
  ) {}

  async create(definition: PartitionDefinition): Promise<void> {
    this.supervisor.refuseChangesWhenShuttingDown();
    this.partitions.create(definition);
  }

  async changeLimits(name: string, change: Partial<PartitionLimitsSet>): Promise<void> {
    this.supervisor.changePartitionLimits(name, change);
  }

  async remove(name: string): Promise<void> {
    this.supervisor.deletePartition(name);
  }

  async createToken(partition: string, label: string | null, createdAtMs: number, fleetId?: number): Promise<MadeToken> {
    this.supervisor.refuseChangesWhenShuttingDown();
    this.partitions.get(partition);
    return this.tokens.create(partition, label, createdAtMs, fleetId);
  }

  async revokeToken(partition: string, tokenId: number): Promise<void> {
    this.supervisor.refuseChangesWhenShuttingDown();
    this.partitions.get(partition);
    this.tokens.revoke(partition, tokenId);
  }
}
