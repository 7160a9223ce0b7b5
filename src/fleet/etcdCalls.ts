// What the fleet's stores of ids, records and partitions share in their calls to etcd: its
// unreachability as the API's error, and a counter advanced by compare-and-swap.
import { FleetUnreachableError } from '../errors/sigmaErrors.js';
import { EtcdUnreachableError, type EtcdGateway } from './etcdGateway.js';

/** The call's answer; etcd out of reach is the fleet's 503 (nothing was changed). */
export async function fleetReachable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof EtcdUnreachableError) throw new FleetUnreachableError('etcd is out of reach: the fleet takes no change until it answers (reads are answered from what this node knows)');
    throw error;
  }
}

/**
 * Takes `count` numbers from the counter at `key` (1 when it does not exist yet): the first of
 * them, or null when other nodes kept taking at the same moment for `attempts` tries.
 */
export async function takeFromCounter(gateway: EtcdGateway, key: string, count: number, attempts: number): Promise<number | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const next = await gateway.get(key);
    const first = next ? Number(next.value) : 1;
    const guard = next ? { key, modRevision: next.modRevision } : { key, absent: true as const };
    if (await gateway.txn([guard], [{ put: key, value: String(first + count) }])) return first;
  }
  return null;
}
