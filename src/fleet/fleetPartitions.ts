// The fleet's partitions and their tokens (docs/fleet.md): kept in etcd, each node's store a copy
// that the node enforces. A change is made at the node asked, then in etcd (undone here when etcd
// refuses or is out of reach); every node brings its copy to etcd's once a second. A node that
// joins for the first time adds the partitions and tokens it had on its own; one that joins again
// takes etcd's, dropping what the fleet deleted meanwhile.
import type { Logger } from 'pino';
import { DEFAULT_PARTITION, type PartitionDefinition, type PartitionLimitsSet } from '../core/partition.js';
import { DefaultPartitionError, FleetUnreachableError, PartitionExistsError, PartitionNotEmptyError, PartitionNotFoundError, TokenNotFoundError } from '../errors/sigmaErrors.js';
import type { StoredPartitionToken } from '../runtime/partitionStore.js';
import type { LocalPartitionChanges, MadeToken, PartitionChanges } from '../supervisor/partitionChanges.js';
import { EtcdUnreachableError, type EtcdGateway } from './etcdGateway.js';
import { FLEET_PREFIX } from './fleetMembership.js';

const PARTITIONS_PREFIX = `${FLEET_PREFIX}partitions/`;
const TOKENS_PREFIX = `${FLEET_PREFIX}partition-tokens/`;
const NEXT_TOKEN_ID_KEY = `${FLEET_PREFIX}partition-token-ids/next`;
/** How often a node brings its copy to etcd's: a change made at another node holds here this long after. */
export const PARTITION_SYNC_INTERVAL_MS = 1000;
const CAS_ATTEMPTS = 10;

const partitionKey = (name: string): string => `${PARTITIONS_PREFIX}${name}`;
const tokenKey = (id: number): string => `${TOKENS_PREFIX}${id}`;

function limitsOf({ maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes }: PartitionLimitsSet): PartitionLimitsSet {
  return { maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes };
}

const sameLimits = (a: PartitionLimitsSet, b: PartitionLimitsSet): boolean => JSON.stringify(limitsOf(a)) === JSON.stringify(limitsOf(b));

export class FleetPartitions implements PartitionChanges {
  /** Changes and copies one at a time: a copy never sees a change half made. */
  private queue: Promise<unknown> = Promise.resolve();
  /** What this node knows etcd held: gone from etcd, it was deleted at another node. */
  private readonly seenPartitions = new Set<string>();
  private readonly seenTokens = new Set<number>();
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly gateway: EtcdGateway,
    private readonly local: LocalPartitionChanges,
    /** How many processes of the partition the fleet holds, on every node. */
    private readonly processesIn: (partition: string) => Promise<number>,
    private readonly logger: Logger,
  ) {}

  create(definition: PartitionDefinition): Promise<void> {
    return this.serial(async () => {
      await this.local.create(definition);
      let added = false;
      try {
        added = await this.reachable(() => this.gateway.txn([{ key: partitionKey(definition.name), absent: true }], [{ put: partitionKey(definition.name), value: JSON.stringify(definition) }]));
      } finally {
        if (!added) this.local.partitions.remove(definition.name);
      }
      if (!added) throw new PartitionExistsError(definition.name);
      this.seenPartitions.add(definition.name);
    });
  }

  changeLimits(name: string, change: Partial<PartitionLimitsSet>): Promise<void> {
    return this.serial(async () => {
      const before = this.local.partitions.get(name).definition;
      await this.local.changeLimits(name, change);
      const after = this.local.partitions.get(name).definition;
      try {
        await this.reachable(() => this.gateway.put(partitionKey(name), JSON.stringify(after)));
      } catch (error) {
        await this.local.changeLimits(name, limitsOf(before));
        throw error;
      }
      this.seenPartitions.add(name);
    });
  }

  remove(name: string): Promise<void> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      this.local.partitions.get(name);
      if (name === DEFAULT_PARTITION) throw new DefaultPartitionError();
      const here = this.local.supervisor.countIn(name).processes;
      const held = Math.max(here, await this.reachable(() => this.processesIn(name)));
      if (held > 0) throw new PartitionNotEmptyError(name, held);
      const tokens = (await this.reachable(() => this.gateway.range(TOKENS_PREFIX))).map((entry) => JSON.parse(entry.value) as StoredPartitionToken).filter((token) => token.partition === name);
      await this.reachable(() => this.gateway.txn([], [{ delete: partitionKey(name) }, ...tokens.map((token) => ({ delete: tokenKey(token.id) }))]));
      this.seenPartitions.delete(name);
      for (const token of tokens) this.seenTokens.delete(token.id);
      await this.local.remove(name);
    });
  }

  createToken(partition: string, label: string | null, createdAtMs: number): Promise<MadeToken> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      this.local.partitions.get(partition);
      const id = await this.reachable(() => this.nextTokenId());
      const made = await this.local.createToken(partition, label, createdAtMs, id);
      const { token: _secret, ...stored } = made;
      let added = false;
      try {
        added = await this.reachable(() => this.putTokenOf(stored));
      } finally {
        if (!added) this.local.tokens.revoke(partition, id);
      }
      if (!added) throw new PartitionNotFoundError(partition);
      this.seenTokens.add(id);
      return made;
    });
  }

  revokeToken(partition: string, tokenId: number): Promise<void> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      this.local.partitions.get(partition);
      if (!this.local.tokens.list(partition).some((token) => token.id === tokenId)) throw new TokenNotFoundError(partition, tokenId);
      await this.reachable(() => this.gateway.txn([], [{ delete: tokenKey(tokenId) }]));
      this.seenTokens.delete(tokenId);
      await this.local.revokeToken(partition, tokenId);
    });
  }

  /**
   * At each join, once listed: a first join adds this node's own partitions and tokens that etcd
   * does not have (a token gets a fleet id, and keeps working); a later one takes etcd's as they
   * are. Then the copy is kept once a second.
   */
  joined(firstJoin: boolean): Promise<void> {
    return this.serial(async () => {
      if (firstJoin) await this.addOwn();
      else {
        for (const { definition } of this.local.partitions.list()) this.seenPartitions.add(definition.name);
        for (const token of this.local.tokens.all()) this.seenTokens.add(token.id);
      }
      await this.copy();
      if (this.timer) return;
      this.timer = setInterval(() => void this.serial(() => this.copy()).catch((error: unknown) => this.warnOnce('copy', error)), PARTITION_SYNC_INTERVAL_MS);
      this.timer.unref();
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queue;
  }

  private async addOwn(): Promise<void> {
    for (const { definition } of this.local.partitions.list()) {
      await this.gateway.txn([{ key: partitionKey(definition.name), absent: true }], [{ put: partitionKey(definition.name), value: JSON.stringify(definition) }]);
    }
    const held = new Set((await this.gateway.range(TOKENS_PREFIX)).map((entry) => (JSON.parse(entry.value) as StoredPartitionToken).sha256));
    for (const token of this.local.tokens.all()) {
      if (held.has(token.sha256)) continue;
      const fleetToken = { ...token, id: await this.nextTokenId() };
      if (!(await this.putTokenOf(fleetToken))) continue;
      // The same secret under the fleet's id: it keeps working, and another node can revoke it.
      this.local.tokens.revoke(token.partition, token.id);
      this.local.tokens.adopt(fleetToken);
      this.seenTokens.add(fleetToken.id);
    }
  }

  /** Brings this node's partitions and tokens to etcd's. */
  private async copy(): Promise<void> {
    const [partitionEntries, tokenEntries] = await Promise.all([this.gateway.range(PARTITIONS_PREFIX), this.gateway.range(TOKENS_PREFIX)]);
    const wanted = new Map(partitionEntries.map((entry) => [entry.key.slice(PARTITIONS_PREFIX.length), JSON.parse(entry.value) as PartitionDefinition]));
    for (const [name, definition] of wanted) {
      this.seenPartitions.add(name);
      const here = this.local.partitions.has(name) ? this.local.partitions.get(name).definition : null;
      try {
        if (here === null) {
          this.local.partitions.create(definition);
          this.logger.info({ partition: name }, 'a partition of the fleet is made on this node');
        } else if (!sameLimits(here, definition)) {
          this.local.supervisor.changePartitionLimits(name, limitsOf(definition));
        }
      } catch (error) {
        this.warnOnce(`partition ${name}`, error);
      }
    }
    for (const { definition } of this.local.partitions.list()) {
      const { name } = definition;
      if (wanted.has(name) || !this.seenPartitions.has(name) || name === DEFAULT_PARTITION) continue;
      try {
        this.local.supervisor.deletePartition(name);
        this.seenPartitions.delete(name);
        this.logger.info({ partition: name }, 'a partition the fleet deleted is deleted on this node');
      } catch (error) {
        this.warnOnce(`partition ${name}`, error);
      }
    }
    const wantedTokens = new Map(tokenEntries.map((entry) => JSON.parse(entry.value) as StoredPartitionToken).map((token) => [token.id, token]));
    // Revoked at another node (or another token under its id): it stops working here.
    for (const token of this.local.tokens.all()) {
      const fleetToken = wantedTokens.get(token.id);
      if (fleetToken?.sha256 === token.sha256 || (!fleetToken && !this.seenTokens.has(token.id))) continue;
      this.local.tokens.revoke(token.partition, token.id);
      this.seenTokens.delete(token.id);
    }
    for (const token of wantedTokens.values()) {
      this.seenTokens.add(token.id);
      if (!this.local.partitions.has(token.partition)) continue;
      try {
        this.local.tokens.adopt(token);
      } catch (error) {
        this.warnOnce(`token ${token.id}`, error);
      }
    }
  }

  /** Puts the token while its partition is in etcd; false once the partition is gone. */
  private async putTokenOf(token: StoredPartitionToken): Promise<boolean> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const partition = await this.gateway.get(partitionKey(token.partition));
      if (!partition) return false;
      if (await this.gateway.txn([{ key: partitionKey(token.partition), modRevision: partition.modRevision }], [{ put: tokenKey(token.id), value: JSON.stringify(token) }])) return true;
    }
    throw new FleetUnreachableError(`the token could not be recorded in ${CAS_ATTEMPTS} attempts (its partition kept changing): try again`);
  }

  private async nextTokenId(): Promise<number> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const next = await this.gateway.get(NEXT_TOKEN_ID_KEY);
      const id = next ? Number(next.value) : 1;
      const guard = next ? { key: NEXT_TOKEN_ID_KEY, modRevision: next.modRevision } : { key: NEXT_TOKEN_ID_KEY, absent: true as const };
      if (await this.gateway.txn([guard], [{ put: NEXT_TOKEN_ID_KEY, value: String(id + 1) }])) return id;
    }
    throw new FleetUnreachableError(`no token id could be taken in ${CAS_ATTEMPTS} attempts (other nodes kept taking them at the same moment): try again`);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reachable<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EtcdUnreachableError) throw new FleetUnreachableError('etcd is out of reach: the fleet takes no change until it answers (reads are answered from what this node knows)');
      throw error;
    }
  }

  private warnOnce(what: string, error: unknown): void {
    if (error instanceof EtcdUnreachableError) return;
    const key = `${what}: ${(error as Error).message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn({ err: error, what }, 'this node\'s copy of the fleet\'s partitions could not be brought to etcd\'s here (tried again each second)');
  }
}
