// The load: concurrent clients, each on its own keep-alive connection, each sending its next
// request as soon as the last one is answered. Reads of the node, the processes and their runs
// mix with operations on a pool of ONE_SHOT `sleep` processes and SUSPEND/RESUME of some periodic ones.
import { ApiClient, type ApiReply, type ApiTarget } from './apiClient.js';
import type { PoolSlots } from './poolSlots.js';
import type { RequestKind, RequestLedger } from './requestLedger.js';
import type { RunHistory, RunJson } from './runHistory.js';

/** Out of 100 requests. */
const MIX: readonly (readonly [RequestKind, number])[] = [
  ['list', 6],
  ['get', 28],
  ['runs', 20],
  ['metrics', 1],
  ['pool-create', 8],
  ['pool-start', 7],
  ['pool-stop', 6],
  ['pool-suspend', 4],
  ['pool-resume', 4],
  ['pool-delete', 6],
  ['periodic-suspend', 5],
  ['periodic-resume', 5],
];
const MIX_TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);

export const POOL_NAME_PREFIX = 'soak-pool-';
/** Short enough that some jobs end on their own during the load, long enough to be operated on. */
const POOL_COMMAND = ['sleep', '3'];
const RUNS_PER_READ = 100;

export interface LoadPlan {
  /** Connected already (see connectClients), so that the load measures answers, not handshakes. */
  readonly clients: readonly ApiClient[];
  readonly endAtMs: number;
  readonly periodicIds: readonly number[];
  readonly toggledIds: readonly number[];
  readonly pool: PoolSlots;
  readonly ledger: RequestLedger;
  readonly runHistory: RunHistory;
  readonly stopped: () => boolean;
}

/** Opens each client's connection (TCP, TLS, a first answer); answers how long each took. */
export async function connectClients(target: ApiTarget, count: number): Promise<{ clients: ApiClient[]; connectMs: number[] }> {
  const clients = Array.from({ length: count }, () => new ApiClient(target));
  const connectMs = await Promise.all(
    clients.map(async (client) => {
      const reply = await client.request('GET', '/health');
      if (reply.status !== 200) throw new Error(`GET /health answered ${reply.status}: ${reply.text.trim()}`);
      return reply.latencyMs;
    }),
  );
  return { clients, connectMs };
}

export async function runLoad(plan: LoadPlan): Promise<void> {
  const shared = { runsCursor: 0 };
  await Promise.all(plan.clients.map((client) => clientLoop(client, plan, shared)));
}

async function clientLoop(client: ApiClient, plan: LoadPlan, shared: { runsCursor: number }): Promise<void> {
  while (performance.now() < plan.endAtMs && !plan.stopped()) {
    const kind = pickKind();
    try {
      await perform(kind, client, plan, shared);
    } catch (error) {
      plan.ledger.error(kind, kind, null, error instanceof Error ? error.message : String(error));
    }
  }
}

function pickKind(): RequestKind {
  let roll = Math.random() * MIX_TOTAL;
  for (const [kind, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'get';
}

const randomOf = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const randomSlot = (pool: PoolSlots): number => Math.floor(Math.random() * pool.size);

async function perform(kind: RequestKind, client: ApiClient, plan: LoadPlan, shared: { runsCursor: number }): Promise<void> {
  const { ledger, pool } = plan;
  const call = async (method: string, path: string, body?: unknown): Promise<ApiReply & { label: string }> => {
    const reply = await client.request(method, path, body);
    const label = `${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`;
    ledger.answered(kind, reply.latencyMs, label);
    return { ...reply, label };
  };
  const unexpected = (reply: ApiReply & { label: string }): void => ledger.error(kind, reply.label, reply.status, reply.text);

  switch (kind) {
    case 'list': {
      const reply = await call('GET', '/processes');
      if (reply.status !== 200 || !Array.isArray(parsed(reply)?.processes)) unexpected(reply);
      return;
    }
    case 'get': {
      const poolIds = pool.knownIds();
      const fromPool = poolIds.length > 0 && Math.random() < 0.2;
      const id = fromPool ? randomOf(poolIds) : randomOf(plan.periodicIds);
      const reply = await call('GET', `/processes/${id}`);
      if (reply.status === 200 && parsed(reply)?.processes?.[0]?.id === id) return;
      if (reply.status === 404 && fromPool && pool.deletesOf(id) > 0) return ledger.expected(kind);
      return unexpected(reply);
    }
    case 'runs': {
      // Round the periodic processes, so that every run is read before the daemon forgets it.
      const id = plan.periodicIds[shared.runsCursor % plan.periodicIds.length] as number;
      shared.runsCursor += 1;
      const reply = await call('GET', `/processes/${id}/runs?limit=${RUNS_PER_READ}`);
      const runs = parsed(reply)?.runs as RunJson[] | undefined;
      if (reply.status !== 200 || !Array.isArray(runs)) return unexpected(reply);
      plan.runHistory.record(id, runs);
      return;
    }
    case 'metrics': {
      const reply = await call('GET', '/metrics');
      if (reply.status !== 200 || !reply.text.includes('sigma_processes')) unexpected(reply);
      return;
    }
    case 'pool-create':
      return createInPool(randomSlot(pool), kind, plan, call, unexpected);
    case 'pool-start':
    case 'pool-stop':
    case 'pool-suspend':
    case 'pool-resume': {
      const slot = randomSlot(pool);
      const id = pool.idAt(slot);
      if (id === null) return createInPool(slot, 'pool-create', plan, call, unexpected);
      const operation = kind.slice('pool-'.length).toUpperCase();
      const reply = await call('PUT', `/processes/${id}`, { operation });
      if (reply.status === 200) return countFailedOperation(kind, reply, plan);
      if (reply.status === 404 && pool.deletesOf(id) > 0) return ledger.expected(kind);
      return unexpected(reply);
    }
    case 'pool-delete': {
      const slot = randomSlot(pool);
      const id = pool.idAt(slot);
      if (id === null) return createInPool(slot, 'pool-create', plan, call, unexpected);
      pool.deleteSent(slot, id);
      try {
        const reply = await call('DELETE', `/processes/${id}`);
        if (reply.status === 204) return;
        // Another client's DELETE of the same process got there first.
        if (reply.status === 404 && pool.deletesOf(id) > 1) return ledger.expected(kind);
        return unexpected(reply);
      } finally {
        pool.deleteAnswered(slot, id);
      }
    }
    case 'periodic-suspend':
    case 'periodic-resume': {
      const id = randomOf(plan.toggledIds);
      const operation = kind.slice('periodic-'.length).toUpperCase();
      const reply = await call('PUT', `/processes/${id}`, { operation });
      if (reply.status === 200) return countFailedOperation(kind, reply, plan);
      return unexpected(reply);
    }
  }
}

type Call = (method: string, path: string, body?: unknown) => Promise<ApiReply & { label: string }>;

async function createInPool(
  slot: number,
  kind: RequestKind,
  plan: LoadPlan,
  call: Call,
  unexpected: (reply: ApiReply & { label: string }) => void,
): Promise<void> {
  const { pool, ledger } = plan;
  const takenBefore = pool.mayBeTaken(slot, false);
  pool.createSent(slot);
  let createdId: number | null = null;
  try {
    const state = Math.random() < 0.5 ? 'RUNNING' : 'DORMANT';
    const reply = await call('POST', '/processes', { name: `${POOL_NAME_PREFIX}${slot}`, command: POOL_COMMAND, state });
    if (reply.status === 201) {
      const id = parsed(reply)?.processes?.[0]?.id;
      if (typeof id === 'number') createdId = id;
      else unexpected(reply);
      return;
    }
    const nameTaken = reply.status === 409 && parsed(reply)?.code === 'SIGMA_ERR_PROCESS_NAME_TAKEN';
    if (nameTaken && (takenBefore || pool.mayBeTaken(slot, true))) return ledger.expected(kind);
    return unexpected(reply);
  } finally {
    pool.createAnswered(slot, createdId);
  }
}

function countFailedOperation(kind: RequestKind, reply: ApiReply & { label: string }, plan: LoadPlan): void {
  const result = parsed(reply)?.processes?.[0]?.result;
  if (result === 'FAILED') plan.ledger.failedOperation(kind);
  else if (result !== 'OK') plan.ledger.error(kind, reply.label, reply.status, `no result in ${reply.text}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parsed(reply: ApiReply): any {
  try {
    return JSON.parse(reply.text);
  } catch {
    return undefined;
  }
}
