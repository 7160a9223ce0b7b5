// Partition tokens: made by the node token, shown once, kept as their SHA-256, revocable. A
// request's token is looked up by its hash, so no comparison depends on the secret's bytes.
import { createHash, randomBytes } from 'node:crypto';
import { PARTITION_TOKEN_PREFIX } from '../core/partition.js';
import { TokenNotFoundError } from '../errors/sigmaErrors.js';
import type { PartitionStore, StoredPartitionToken } from '../runtime/partitionStore.js';

export type TokenInfo = Omit<StoredPartitionToken, 'sha256'>;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export class PartitionTokens {
  private readonly byHash = new Map<string, StoredPartitionToken>();
  private readonly revokedListeners = new Set<(tokenId: number) => void>();

  constructor(private readonly store: PartitionStore) {
    for (const token of store.listTokens()) this.byHash.set(token.sha256, token);
  }

  /** The partition a token opens, found by the token's SHA-256 (hex); null if it is no partition token (or a revoked one). */
  partitionOfHash(tokenSha256: string): { readonly partition: string; readonly tokenId: number } | null {
    const stored = this.byHash.get(tokenSha256);
    return stored ? { partition: stored.partition, tokenId: stored.id } : null;
  }

  /** A new token for the partition (with the id a fleet gave it): the only time its secret is seen. */
  create(partition: string, label: string | null, createdAtMs: number, fleetId?: number): StoredPartitionToken & { readonly token: string } {
    const token = `${PARTITION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const sha256 = sha256Hex(token);
    const id = this.store.insertToken({ id: fleetId, partition, sha256, label, createdAtMs });
    this.byHash.set(sha256, { id, partition, sha256, label, createdAtMs });
    return { id, partition, sha256, label, createdAtMs, token };
  }

  /** A token another node of the fleet made: it opens the partition here too. */
  adopt(token: StoredPartitionToken): void {
    if (this.byHash.has(token.sha256)) return;
    this.store.insertToken(token);
    this.byHash.set(token.sha256, token);
  }

  /** Every token, with its hash (what a fleet keeps). */
  all(): StoredPartitionToken[] {
    return [...this.byHash.values()].sort((a, b) => a.id - b.id);
  }

  list(partition: string): TokenInfo[] {
    return [...this.byHash.values()]
      .filter((token) => token.partition === partition)
      .sort((a, b) => a.id - b.id)
      .map(({ sha256: _sha256, ...info }) => info);
  }

  revoke(partition: string, id: number): void {
    const found = [...this.byHash.values()].find((token) => token.id === id && token.partition === partition);
    if (!found) throw new TokenNotFoundError(partition, id);
    this.store.removeToken(id);
    this.byHash.delete(found.sha256);
    this.tellRevoked(id);
  }

  /**
   * Stops the token working here at once, though the store could not drop it (a full disk): a
   * fleet's node, told by etcd that it was revoked, drops it again at its next start.
   */
  dropUnstored(id: number): void {
    const found = [...this.byHash.values()].find((token) => token.id === id);
    if (!found) return;
    this.byHash.delete(found.sha256);
    this.tellRevoked(id);
  }

  /** Told the id of every token that stops working (revoked, or gone with its partition). */
  onRevoked(listener: (tokenId: number) => void): void {
    this.revokedListeners.add(listener);
  }

  private tellRevoked(tokenId: number): void {
    for (const listener of this.revokedListeners) listener(tokenId);
  }

  /** The partition is gone, and its tokens with it (the store dropped them). */
  forgetPartition(partition: string): void {
    for (const [hash, token] of this.byHash) {
      if (token.partition !== partition) continue;
      this.byHash.delete(hash);
      this.tellRevoked(token.id);
    }
  }
}
