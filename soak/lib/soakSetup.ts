// The soak's own requests around the load: the periodic processes created and started (each START
// timed, for the release accounting), then stopped (each STOP timed), their last runs and counters
// read, and the ONE_SHOT pool deleted. Any answer other than the one expected fails the soak.
import type { ApiClient, ApiReply } from './apiClient.js';
import { POOL_NAME_PREFIX } from './loadClients.js';
import type { Counters, Window } from './releaseAccounting.js';
import type { RunHistory, RunJson } from './runHistory.js';
import type { SoakOptions } from './soakOptions.js';

export interface PeriodicProcess {
  readonly id: number;
  readonly name: string;
}

const PERIODIC_COMMAND = ['true'];

export async function createPeriodics(admin: ApiClient, options: SoakOptions): Promise<PeriodicProcess[]> {
  const created: PeriodicProcess[] = [];
  for (let i = 0; i < options.periodicCount; i += 1) {
    const name = `soak-periodic-${String(i).padStart(3, '0')}`;
    const body = { name, type: 'PERIODIC', period: options.periodMs, command: PERIODIC_COMMAND };
    const reply = expectStatus(await admin.request('POST', '/processes', body), 201, `POST /processes ${name}`);
    created.push({ id: json(reply).processes[0].id as number, name });
  }
  return created;
}

export async function startPeriodics(admin: ApiClient, periodics: readonly PeriodicProcess[], nowMs: () => number): Promise<Map<number, Window>> {
  return operateTimed(admin, periodics.map((p) => p.id), 'START', nowMs);
}

export async function stopPeriodics(admin: ApiClient, ids: readonly number[], nowMs: () => number): Promise<Map<number, Window>> {
  return operateTimed(admin, ids, 'STOP', nowMs);
}

/** One at a time, so that each window is as narrow as the daemon allows. */
async function operateTimed(admin: ApiClient, ids: readonly number[], operation: string, nowMs: () => number): Promise<Map<number, Window>> {
  const windows = new Map<number, Window>();
  for (const id of ids) {
    const sentAtMs = nowMs();
    const reply = await admin.request('PUT', `/processes/${id}`, { operation });
    const answeredAtMs = nowMs();
    expectStatus(reply, 200, `PUT /processes/${id} ${operation}`);
    const result = json(reply).processes[0];
    if (result.result !== 'OK') throw new Error(`${operation} of process ${id} answered ${reply.text.trim()}`);
    windows.set(id, { sentAtMs, answeredAtMs });
  }
  return windows;
}

/** The last runs of every periodic process, and the counters each ended with. */
export async function sweepRuns(clients: readonly ApiClient[], ids: readonly number[], history: RunHistory): Promise<Map<number, Counters>> {
  await eachOnItsClient(clients, ids, async (client, id) => {
    const reply = expectStatus(await client.request('GET', `/processes/${id}/runs?limit=100`), 200, `GET /processes/${id}/runs`);
    history.record(id, json(reply).runs as RunJson[]);
  });
  const list = expectStatus(await (clients[0] as ApiClient).request('GET', '/processes'), 200, 'GET /processes');
  const counters = new Map<number, Counters>();
  for (const p of json(list).processes as (Counters & { id: number; state: string })[]) {
    if (!ids.includes(p.id)) continue;
    if (p.state !== 'DORMANT') throw new Error(`process ${p.id} is ${p.state} after its STOP`);
    counters.set(p.id, { runs: p.runs, overruns: p.overruns, skipped: p.skipped, failures: p.failures });
  }
  for (const id of ids) if (!counters.has(id)) throw new Error(`process ${id} is missing from GET /processes`);
  return counters;
}

/** Deletes every pool process left (a live job is ended first); answers how many. */
export async function removePool(clients: readonly ApiClient[]): Promise<number> {
  const list = expectStatus(await (clients[0] as ApiClient).request('GET', '/processes'), 200, 'GET /processes');
  const pool = (json(list).processes as { id: number; name: string }[]).filter((p) => p.name.startsWith(POOL_NAME_PREFIX));
  await eachOnItsClient(clients, pool, async (client, { id }) => {
    expectStatus(await client.request('DELETE', `/processes/${id}`), 204, `DELETE /processes/${id}`);
  });
  return pool.length;
}

/** Every item once, as many at a time as there are clients (each client has one connection). */
async function eachOnItsClient<T>(clients: readonly ApiClient[], items: readonly T[], task: (client: ApiClient, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await task(client, item);
      }
    }),
  );
}

function expectStatus(reply: ApiReply, status: number, request: string): ApiReply {
  if (reply.status !== status) throw new Error(`${request} answered ${reply.status} (expected ${status}): ${reply.text.trim()}`);
  return reply;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function json(reply: ApiReply): any {
  return JSON.parse(reply.text);
}
