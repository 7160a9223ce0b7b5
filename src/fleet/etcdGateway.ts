// etcd's v3 API through its JSON gateway (POST /v3/... over HTTP): the few calls a node of the
// fleet makes. Each call goes to the endpoint that answered last, then to the others in turn.
// Keys and values travel base64-encoded; int64s (lease ids, revisions) as decimal strings.

export class EtcdUnreachableError extends Error {}

export interface StoredKey {
  readonly key: string;
  readonly value: string;
  /** The lease the key lives by, null for a key that stays until deleted. */
  readonly leaseId: string | null;
  readonly modRevision: number;
}

interface RangeReply {
  readonly kvs?: readonly { key: string; value?: string; lease?: string; mod_revision?: string }[];
}

/** A condition of a transaction: the key's value, or its revisions (0: the key does not exist). */
export type Compare =
  | { readonly key: string; readonly modRevision: number }
  | { readonly key: string; readonly absent: true }
  | { readonly key: string; readonly value: string };

/** What a transaction does when its conditions hold (or, as `failure`, when they do not). */
export type TxnOperation = { readonly put: string; readonly value: string } | { readonly delete: string };

const DEFAULT_REQUEST_TIMEOUT_MS = 2000;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

/** The first key after every key that starts with `prefix`: etcd's range end for a prefix. */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] as number) < 0xff) {
      bytes[i] = (bytes[i] as number) + 1;
      return bytes.subarray(0, i + 1).toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

function storedKeysOf(reply: RangeReply): StoredKey[] {
  return (reply.kvs ?? []).map((kv) => ({
    key: unb64(kv.key),
    value: unb64(kv.value),
    leaseId: kv.lease && kv.lease !== '0' ? kv.lease : null,
    modRevision: Number(kv.mod_revision ?? 0),
  }));
}

function compareOf(compare: Compare): Record<string, unknown> {
  if ('modRevision' in compare) return { key: b64(compare.key), result: 'EQUAL', target: 'MOD', mod_revision: String(compare.modRevision) };
  if ('absent' in compare) return { key: b64(compare.key), result: 'EQUAL', target: 'CREATE', create_revision: '0' };
  return { key: b64(compare.key), result: 'EQUAL', target: 'VALUE', value: b64(compare.value) };
}

function requestOf(operation: TxnOperation): Record<string, unknown> {
  if ('put' in operation) return { request_put: { key: b64(operation.put), value: b64(operation.value) } };
  return { request_delete_range: { key: b64(operation.delete) } };
}

export class EtcdGateway {
  private preferred = 0;

  constructor(
    readonly endpoints: readonly string[],
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    if (endpoints.length === 0) throw new Error('etcd needs at least one endpoint');
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const reply = (await this.call('/v3/lease/grant', { TTL: ttlSeconds })) as { ID?: string };
    if (!reply.ID) throw new EtcdUnreachableError('etcd granted no lease');
    return reply.ID;
  }

  /** Renews a lease; false once it has expired (its keys are gone with it). */
  async keepAlive(leaseId: string): Promise<boolean> {
    const reply = (await this.call('/v3/lease/keepalive', { ID: leaseId })) as { result?: { TTL?: string } };
    return Number(reply.result?.TTL ?? 0) > 0;
  }

  async revokeLease(leaseId: string): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: leaseId });
  }

  async put(key: string, value: string, leaseId: string | null = null): Promise<void> {
    await this.call('/v3/kv/put', { key: b64(key), value: b64(value), ...(leaseId ? { lease: leaseId } : {}) });
  }

  /** The key, or null where it does not exist. */
  async get(key: string): Promise<StoredKey | null> {
    const reply = (await this.call('/v3/kv/range', { key: b64(key) })) as RangeReply;
    return storedKeysOf(reply)[0] ?? null;
  }

  /** Applies `success` atomically if every comparison holds; false (nothing written) if one does not. */
  async txn(compare: readonly Compare[], success: readonly TxnOperation[]): Promise<boolean> {
    const reply = (await this.call('/v3/kv/txn', { compare: compare.map(compareOf), success: success.map(requestOf) })) as { succeeded?: boolean };
    return reply.succeeded === true;
  }

  /** Every key that starts with `prefix`, in key order. */
  async range(prefix: string): Promise<StoredKey[]> {
    return storedKeysOf((await this.call('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) })) as RangeReply);
  }

  private async call(path: string, body: unknown): Promise<unknown> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = (this.preferred + attempt) % this.endpoints.length;
      const endpoint = this.endpoints[index] as string;
      try {
        const response = await fetch(new URL(path, endpoint), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.requestTimeoutMs),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${response.status} ${text.trim().slice(0, 200)}`);
        this.preferred = index;
        return JSON.parse(text) as unknown;
      } catch (error) {
        failures.push(`${endpoint}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new EtcdUnreachableError(`no etcd endpoint answered ${path} (${failures.join('; ')})`);
  }
}
