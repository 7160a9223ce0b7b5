// The fleet's partitions and their tokens (docs/fleet.md): kept in etcd, each node's store a copy
// that the node enforces. A change is made at the node asked and in etcd (undone here when etcd
// refuses or is out of reach); every node brings its copy to etcd's once a second. A node that
// joins with partitions of its own (its first join since it had them) adds them and its tokens;
// otherwise it takes etcd's, dropping what the fleet deleted meanwhile.
import type { Logger } from 'pino';
import { DEFAULT_PARTITION, type PartitionDefinition, type PartitionLimitsSet } from '../core/partition.js';
import { DefaultPartitionError, FleetUnreachableError, PartitionExistsError, PartitionNotEmptyError, PartitionNotFoundError, StoreUnavailableError, TokenNotFoundError } from '../errors/sigmaErrors.js';
import type { StoredPartitionToken } from '../runtime/partitionStore.js';
import type { LocalPartitionChanges, MadeToken, PartitionChanges } from '../supervisor/partitionChanges.js';
import { limitsOf } from '../supervisor/partitions.js';
import { fleetReachable, takeFromCounter } from './etcdCalls.js';
import { EtcdUnreachableError, type EtcdGateway } from './etcdGateway.js';
import { FLEET_PREFIX } from './fleetMembership.js';

const PARTITIONS_PREFIX = `${FLEET_PREFIX}partitions/`;
const TOKENS_PREFIX = `${FLEET_PREFIX}partition-tokens/`;
const NEXT_TOKEN_ID_KEY = `${FLEET_PREFIX}partition-token-ids/next`;
/** Written once a node's own partitions and tokens are the fleet's: its later joins take etcd's. */
const JOINED_PREFIX = `${FLEET_PREFIX}partitions-joined/`;
/** How often a node brings its copy to etcd's: a change made at another node holds here this long after. */
export const PARTITION_SYNC_INTERVAL_MS = 1000;
const CAS_ATTEMPTS = 10;

const partitionKey = (name: string): string => `${PARTITIONS_PREFIX}${name}`;
const tokenKey = (id: number): string => `${TOKENS_PREFIX}${id}`;
const sameLimits = (a: PartitionLimitsSet, b: PartitionLimitsSet): boolean => JSON.stringify(limitsOf(a)) === JSON.stringify(limitsOf(b));
const tokensOf = (entries: readonly { value: string }[]): StoredPartitionToken[] => entries.map((entry) => JSON.parse(entry.value) as StoredPartitionToken);

export class FleetPartitions implements PartitionChanges {
  /** Changes and copies one at a time: a copy never sees a change half made. */
  private queue: Promise<unknown> = Promise.resolve();
  /** What this node knows etcd held: gone from etcd, it was deleted at another node. */
  private readonly seenPartitions = new Set<string>();
  private readonly seenTokens = new Set<number>();
  private readonly warned = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly gateway: EtcdGateway,
    private readonly local: LocalPartitionChanges,
    private readonly nodeName: string,
    /** How many processes of the partition the fleet holds, on every node. */
    private readonly processesIn: (partition: string) => Promise<number>,
    private readonly logger: Logger,
  ) {}

  create(definition: PartitionDefinition): Promise<void> {
    return this.serial(async () => {
      await this.local.create(definition);
      const key = partitionKey(definition.name);
      let added = false;
      try {
        added = await fleetReachable(() => this.gateway.txn([{ key, absent: true }], [{ put: key, value: JSON.stringify(definition) }]));
      } finally {
        if (!added) this.local.partitions.remove(definition.name);
      }
      if (!added) throw new PartitionExistsError(definition.name);
      this.seenPartitions.add(definition.name);
    });
  }

  /** The change is made on etcd's definition (compared by revision): a change made at another node meanwhile is kept. */
  changeLimits(name: string, change: Partial<PartitionLimitsSet>): Promise<void> {
    return this.serial(async () => {
      const before = limitsOf(this.local.partitions.get(name).definition);
      await this.local.changeLimits(name, change);
      try {
        const merged = await fleetReachable(() => this.changeInEtcd(name, change));
        if (merged === null) throw new PartitionNotFoundError(name);
        if (!sameLimits(this.local.partitions.get(name).definition, merged)) await this.local.changeLimits(name, limitsOf(merged));
      } catch (error) {
        await this.local.changeLimits(name, before).catch(() => undefined);
        throw error;
      }
      this.seenPartitions.add(name);
    });
  }

  /** Deleted here first (so that a refusal here changes nothing), then in etcd with its tokens. */
  remove(name: string): Promise<void> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      const definition = this.local.partitions.get(name).definition;
      if (name === DEFAULT_PARTITION) throw new DefaultPartitionError();
      const here = this.local.supervisor.countIn(name).processes;
      const held = Math.max(here, await fleetReachable(() => this.processesIn(name)));
      if (held > 0) throw new PartitionNotEmptyError(name, held);
      const tokens = this.local.tokens.all().filter((token) => token.partition === name);
      await this.local.remove(name);
      try {
        await fleetReachable(() => this.removeFromEtcd(name));
      } catch (error) {
        // Back as it was here: the partition, and its tokens (their secrets' hashes).
        this.local.partitions.create(definition);
        for (const token of tokens) this.local.tokens.adopt(token);
        throw error;
      }
      this.seenPartitions.delete(name);
      for (const token of tokens) this.seenTokens.delete(token.id);
    });
  }

  createToken(partition: string, label: string | null, createdAtMs: number): Promise<MadeToken> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      this.local.partitions.get(partition);
      const id = await fleetReachable(() => this.nextTokenId());
      const made = await this.local.createToken(partition, label, createdAtMs, id);
      const { token: _secret, ...stored } = made;
      let added = false;
      try {
        added = await fleetReachable(() => this.putTokenOf(stored));
      } finally {
        if (!added) this.local.tokens.revoke(partition, id);
      }
      if (!added) throw new PartitionNotFoundError(partition);
      this.seenTokens.add(id);
      return made;
    });
  }

  /** Revoked here first (it stops working at once), then in etcd. */
  revokeToken(partition: string, tokenId: number): Promise<void> {
    return this.serial(async () => {
      this.local.supervisor.refuseChangesWhenShuttingDown();
      this.local.partitions.get(partition);
      const token = this.local.tokens.all().find((candidate) => candidate.id === tokenId && candidate.partition === partition);
      if (!token) throw new TokenNotFoundError(partition, tokenId);
      await this.local.revokeToken(partition, tokenId);
      try {
        await fleetReachable(() => this.gateway.txn([], [{ delete: tokenKey(tokenId) }]));
      } catch (error) {
        this.local.tokens.adopt(token);
        throw error;
      }
      this.seenTokens.delete(tokenId);
    });
  }

  /**
   * At each join, once listed: a node whose own partitions and tokens are not the fleet's yet adds
   * those etcd does not have (a token gets a fleet id, and keeps working); a node whose are takes
   * etcd's as they are. Then the copy is kept once a second. A failure is logged and tried again
   * at the next copy (the join itself stands).
   */
  joined(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      try {
        const joinedKey = `${JOINED_PREFIX}${this.nodeName}`;
        if ((await this.gateway.get(joinedKey)) === null) {
          await this.addOwn();
          await this.gateway.put(joinedKey, new Date().toISOString());
        } else {
          for (const { definition } of this.local.partitions.list()) this.seenPartitions.add(definition.name);
          for (const token of this.local.tokens.all()) this.seenTokens.add(token.id);
        }
        await this.copy();
      } catch (error) {
        this.warnOnce('join', error);
      }
      if (this.timer || this.stopped) return;
      this.timer = setInterval(() => void this.serial(() => this.copy()).catch((error: unknown) => this.warnOnce('copy', error)), PARTITION_SYNC_INTERVAL_MS);
      this.timer.unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queue;
  }

  private async addOwn(): Promise<void> {
    for (const { definition } of this.local.partitions.list()) {
      const key = partitionKey(definition.name);
      await this.gateway.txn([{ key, absent: true }], [{ put: key, value: JSON.stringify(definition) }]);
    }
    const fleetBySha = new Map(tokensOf(await this.gateway.range(TOKENS_PREFIX)).map((token) => [token.sha256, token]));
    const renumbered: Array<[StoredPartitionToken, StoredPartitionToken]> = [];
    for (const token of this.local.tokens.all()) {
      const known = fleetBySha.get(token.sha256);
      if (known) {
        if (known.id !== token.id) renumbered.push([token, known]);
        continue;
      }
      const fleetToken = { ...token, id: await this.nextTokenId() };
      if (await this.putTokenOf(fleetToken)) renumbered.push([token, fleetToken]);
    }
    // The same secrets under the fleet's ids (all dropped first: a fleet id may be a local one):
    // they keep working, and another node can revoke them.
    for (const [before] of renumbered) this.local.tokens.revoke(before.partition, before.id);
    for (const [, after] of renumbered) {
      this.local.tokens.adopt(after);
      this.seenTokens.add(after.id);
    }
  }

  /** Brings this node's partitions and tokens to etcd's; what cannot be done here is logged and tried again. */
  private async copy(): Promise<void> {
    if (this.stopped) return;
    const [partitionEntries, tokenEntries] = await Promise.all([this.gateway.range(PARTITIONS_PREFIX), this.gateway.range(TOKENS_PREFIX)]);
    const wanted = new Map(partitionEntries.map((entry) => [entry.key.slice(PARTITIONS_PREFIX.length), JSON.parse(entry.value) as PartitionDefinition]));
    for (const [name, definition] of wanted) {
      this.seenPartitions.add(name);
      this.tryHere(`partition ${name}`, () => {
        if (!this.local.partitions.has(name)) {
          this.local.partitions.create(definition);
          this.logger.info({ partition: name }, 'a partition of the fleet is made on this node');
        } else if (!sameLimits(this.local.partitions.get(name).definition, definition)) {
          this.local.supervisor.changePartitionLimits(name, limitsOf(definition));
        }
      });
    }
    for (const { definition } of this.local.partitions.list()) {
      const { name } = definition;
      if (wanted.has(name) || !this.seenPartitions.has(name) || name === DEFAULT_PARTITION) continue;
      this.tryHere(`partition ${name}`, () => {
        this.local.supervisor.deletePartition(name);
        this.seenPartitions.delete(name);
        this.logger.info({ partition: name }, 'a partition the fleet deleted is deleted on this node');
      });
    }
    const wantedTokens = new Map(tokensOf(tokenEntries).map((token) => [token.id, token]));
    // Revoked at another node (or another token under its id): it stops working here, stored or not.
    for (const token of this.local.tokens.all()) {
      const fleetToken = wantedTokens.get(token.id);
      if (fleetToken?.sha256 === token.sha256 || (!fleetToken && !this.seenTokens.has(token.id))) continue;
      this.tryHere(`token ${token.id}`, () => {
        try {
          this.local.tokens.revoke(token.partition, token.id);
        } catch (error) {
          if (error instanceof StoreUnavailableError) this.local.tokens.dropUnstored(token.id);
          throw error;
        }
      });
      this.seenTokens.delete(token.id);
    }
    for (const token of wantedTokens.values()) {
      this.seenTokens.add(token.id);
      if (this.local.partitions.has(token.partition)) this.tryHere(`token ${token.id}`, () => this.local.tokens.adopt(token));
    }
  }

  /** Etcd's definition with the change, written over it as read; null when the partition is not in etcd. */
  private async changeInEtcd(name: string, change: Partial<PartitionLimitsSet>): Promise<PartitionDefinition | null> {
    const key = partitionKey(name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const held = await this.gateway.get(key);
      if (!held) return null;
      const merged: PartitionDefinition = { ...(JSON.parse(held.value) as PartitionDefinition), ...change };
      if (await this.gateway.txn([{ key, modRevision: held.modRevision }], [{ put: key, value: JSON.stringify(merged) }])) return merged;
    }
    throw new FleetUnreachableError(`the partition "${name}" kept changing at other nodes in ${CAS_ATTEMPTS} attempts: try again`);
  }

  /** The partition and every token of it, in one transaction over the partition's revision (a token put bumps it). */
  private async removeFromEtcd(name: string): Promise<void> {
    const key = partitionKey(name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const held = await this.gateway.get(key);
      if (!held) return;
      const tokens = tokensOf(await this.gateway.range(TOKENS_PREFIX)).filter((token) => token.partition === name);
      if (await this.gateway.txn([{ key, modRevision: held.modRevision }], [{ delete: key }, ...tokens.map((token) => ({ delete: tokenKey(token.id) }))])) return;
    }
    throw new FleetUnreachableError(`the partition "${name}" kept changing at other nodes in ${CAS_ATTEMPTS} attempts: try again`);
  }

  /** Puts the token while its partition is in etcd, and bumps the partition (a delete reading its tokens sees it); false once the partition is gone. */
  private async putTokenOf(token: StoredPartitionToken): Promise<boolean> {
    const key = partitionKey(token.partition);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const partition = await this.gateway.get(key);
      if (!partition) return false;
      const bumpAndPut = [
        { put: key, value: partition.value },
        { put: tokenKey(token.id), value: JSON.stringify(token) },
      ];
      if (await this.gateway.txn([{ key, modRevision: partition.modRevision }], bumpAndPut)) return true;
    }
    throw new FleetUnreachableError(`the token could not be recorded in ${CAS_ATTEMPTS} attempts (its partition kept changing): try again`);
  }

  private async nextTokenId(): Promise<number> {
    const id = await takeFromCounter(this.gateway, NEXT_TOKEN_ID_KEY, 1, CAS_ATTEMPTS);
    if (id === null) throw new FleetUnreachableError(`no token id could be taken in ${CAS_ATTEMPTS} attempts (other nodes kept taking them at the same moment): try again`);
    return id;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A change of this node's copy; one that fails is logged once and tried again at the next copy. */
  private tryHere(what: string, change: () => void): void {
    try {
      change();
    } catch (error) {
      this.warnOnce(what, error);
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
