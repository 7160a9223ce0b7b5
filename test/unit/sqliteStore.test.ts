import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ZERO_COUNTERS } from '../../src/core/processModel.js';
import { ProcessNameTakenError } from '../../src/errors/sigmaErrors.js';
import { AUDIT_KEPT_PER_ACTOR, NO_STORED_RESTART, NodeLostError, RUNS_KEPT_PER_PROCESS, SqliteStore, StoreLockedError, type AuditEntry } from '../../src/runtime/sqliteStore.js';
import { STORE_MIGRATIONS } from '../../src/runtime/storeMigrations.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

const storePath = (): string => join(makeTempDir('sigma-store-'), 'sigma.db');

const definition = (name: string) => ({
  name,
  spec: { type: 'PERIODIC', periodMs: 100, stopTimeoutMs: 5000 } as const,
  command: ['true'],
  program: null,
  cwd: '/tmp',
  env: { A: '1' },
  nice: 5,
  createdAtMs: 1_000,
  partition: 'default',
});

describe('SqliteStore', () => {
  it('creates an owner-only WAL database at the latest schema version', () => {
    const path = storePath();
    new SqliteStore(path).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(STORE_MIGRATIONS.length);
    db.close();
  });

  it('is opened by one store at a time: a second one on the file is refused at once, and the first keeps working', () => {
    const path = storePath();
    const first = new SqliteStore(path);
    const id = first.insert(definition('a'));
    expect(() => new SqliteStore(path)).toThrow(StoreLockedError);
    expect(() => new SqliteStore(path)).toThrow(/another sigma daemon is using this data dir/);
    first.insert(definition('b'));
    expect(first.loadAll().map((p) => p.definition.id)).toEqual([id, id + 1]);
    first.close();
    const next = new SqliteStore(path);
    expect(next.loadAll()).toHaveLength(2);
    next.close();
  });

  it('writes what an operator waits on with synchronous = FULL: the WAL is synced before the write returns', () => {
    const store = new SqliteStore(storePath());
    // The connection's own setting (per connection, and no other may open the file): 2 is FULL.
    const synchronous = (): unknown => (Reflect.get(store, 'db') as Database.Database).pragma('synchronous', { simple: true });
    const id = store.insert(definition('a'));
    expect(synchronous(), 'after a create').toBe(2);
    store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, null, 'background');
    expect(synchronous(), 'after a background write').toBe(1);
    store.saveState(id, { intent: 'STOPPED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, null, 'acknowledged');
    expect(synchronous(), 'after an acknowledged state').toBe(2);
    store.update({ ...store.loadAll()[0]!.definition, command: ['echo'] });
    store.saveState(id, { intent: 'STOPPED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, null, 'background');
    store.remove(id);
    expect(synchronous(), 'after a delete').toBe(2);
    store.close();
  });

  it('gives ids that are never reused, keeps definitions and state, and refuses a taken name', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const first = store.insert(definition('a'));
    const second = store.insert(definition('b'));
    expect(() => store.insert(definition('a'))).toThrow(ProcessNameTakenError);
    store.remove(second);
    store.saveState(first, { intent: 'STARTED', counters: { ...ZERO_COUNTERS, runs: 3 }, lastExit: null, job: { pid: 42, startedAtMs: 5, startTicks: 777 }, launcherSeq: 17, restart: NO_STORED_RESTART }, null, 'acknowledged');
    store.close();

    const reopened = new SqliteStore(path);
    expect(reopened.insert(definition('c'))).toBe(second + 1);
    const loaded = reopened.loadAll();
    expect(loaded.map((p) => p.definition.name)).toEqual(['a', 'c']);
    expect(loaded[0]).toMatchObject({
      definition: { id: first, name: 'a', spec: { type: 'PERIODIC', periodMs: 100 }, command: ['true'], cwd: '/tmp', env: { A: '1' }, nice: 5 },
      intent: 'STARTED',
      counters: { runs: 3 },
      job: { pid: 42, startedAtMs: 5, startTicks: 777 },
      launcherSeq: 17,
    });
    reopened.close();
  });

  it('keeps a restart policy, the restarts counted, and a pending restart with what the policy remembers', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const restart = { policy: 'on-failure', delayMs: 100, maxDelayMs: 400, limit: { count: 3, windowMs: 60_000 } } as const;
    const id = store.insert({ ...definition('r'), spec: { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: 5000, restart } });
    const pending = { lastDelayMs: 200, recentAtMs: [1_500, 1_700], pendingAtMs: 2_000.5, heldMs: null };
    store.saveState(id, { intent: 'STARTED', counters: { ...ZERO_COUNTERS, runs: 3, restarts: 2 }, lastExit: null, job: null, launcherSeq: 0, restart: pending }, null, 'acknowledged');
    store.close();
    const reopened = new SqliteStore(path);
    expect(reopened.loadAll()[0]).toMatchObject({ definition: { spec: { type: 'ONE_SHOT', restart } }, counters: { runs: 3, restarts: 2 }, restart: pending });
    reopened.close();
  });

  it('keeps a time capacity and its action, the deadline misses counted, and which run missed; an update changes or removes the capacity', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const capacity = { timeCapacityMs: 80, onDeadlineMiss: 'stop' } as const;
    const id = store.insert({ ...definition('c'), spec: { type: 'PERIODIC', periodMs: 100, stopTimeoutMs: 5000, capacity } });
    const run = { pid: 9, startedAtMs: 1, endedAtMs: 200, exitCode: null, signal: 'SIGTERM', releaseAtMs: 1, error: 'deadline missed', endedBySigma: true, oomKilled: false, deadlineMissed: true };
    store.saveState(id, { intent: 'STARTED', counters: { ...ZERO_COUNTERS, runs: 1, deadlineMisses: 1 }, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, run, 'acknowledged');
    store.close();
    const reopened = new SqliteStore(path);
    const [entry] = reopened.loadAll();
    expect(entry).toMatchObject({ definition: { spec: { type: 'PERIODIC', capacity } }, counters: { runs: 1, deadlineMisses: 1 } });
    expect(reopened.listRuns(id, 1)[0]).toMatchObject({ pid: 9, deadlineMissed: true });
    const definitionStored = (entry as NonNullable<typeof entry>).definition;
    reopened.update({ ...definitionStored, spec: { type: 'PERIODIC', periodMs: 100, stopTimeoutMs: 5000, capacity: null } });
    expect(reopened.loadAll()[0]?.definition.spec.capacity).toBeNull();
    reopened.close();
  });

  it('syncs its write-ahead log on demand: a state written in the background is then on disk', async () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const id = store.insert(definition('a'));
    store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, null, 'background');
    expect(statSync(`${path}-wal`).size, 'the WAL holds the write').toBeGreaterThan(0);
    await expect(store.sync()).resolves.toBeUndefined();
    store.close();
    const reopened = new SqliteStore(path);
    expect(reopened.loadAll()[0]).toMatchObject({ intent: 'STARTED' });
    reopened.close();
  });

  it('keeps the node id it made the first time, and a definition replaced by update', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const { nodeId, copied } = store.claimNode();
    expect(copied).toBe(false);
    expect(nodeId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const id = store.insert(definition('a'));
    const [stored] = store.loadAll();
    store.update({ ...stored!.definition, spec: { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: 7, restart: null }, command: ['echo', 'x'], program: null, cwd: null, env: {} });
    store.close();
    const reopened = new SqliteStore(path);
    expect(reopened.claimNode()).toEqual({ nodeId, copied: false });
    expect(reopened.loadAll()[0]?.definition).toMatchObject({ id, name: 'a', spec: { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: 7 }, command: ['echo', 'x'], cwd: null, env: {} });
    reopened.close();
    expect(new SqliteStore(storePath()).claimNode().nodeId, 'another store, another node').not.toBe(nodeId);
  });

  it('is a new node when its file is a copy, and forgets the jobs the original recorded', () => {
    const path = storePath();
    const original = new SqliteStore(path);
    const { nodeId } = original.claimNode();
    const id = original.insert(definition('a'));
    original.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: { pid: 42, startedAtMs: 5, startTicks: 7 }, launcherSeq: 0, restart: NO_STORED_RESTART }, null, 'acknowledged');
    original.close();
    const copyPath = `${path}.copy`;
    copyFileSync(path, copyPath);
    const copy = new SqliteStore(copyPath);
    const claimed = copy.claimNode();
    expect(claimed.copied).toBe(true);
    expect(claimed.nodeId).not.toBe(nodeId);
    expect(copy.loadAll()[0]).toMatchObject({ intent: 'STARTED', job: null });
    expect(copy.claimNode()).toEqual({ nodeId: claimed.nodeId, copied: false });
    copy.close();
    const reopened = new SqliteStore(path);
    expect(reopened.claimNode()).toEqual({ nodeId, copied: false });
    expect(reopened.loadAll()[0]?.job).toMatchObject({ pid: 42 });
    reopened.close();
  });

  it('refuses a store that holds no node while the data dir names one, and makes none in it', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    expect(() => store.claimNode('kept-node-id', '/data/node-id')).toThrow(NodeLostError);
    expect(() => store.claimNode('kept-node-id', '/data/node-id')).toThrow(`the store ${path} has lost node kept-node-id`);
    const { nodeId } = store.claimNode(null);
    expect(store.claimNode(nodeId)).toEqual({ nodeId, copied: false });
    store.close();
  });

  it('keeps the bound below which event ids were given', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    expect(store.eventIdsReservedBelow()).toBe(0);
    store.reserveEventIdsBelow(1_800_000_000_000_000);
    store.close();
    const reopened = new SqliteStore(path);
    expect(reopened.eventIdsReservedBelow()).toBe(1_800_000_000_000_000);
    reopened.close();
  });

  it('creates a process started at once in one write, and writes held states and runs together', () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const started = store.insert(definition('started'), 'STARTED');
    const other = store.insert(definition('other'));
    const run = { pid: 9, startedAtMs: 1, endedAtMs: 2, exitCode: 0, signal: null, releaseAtMs: null, error: null, endedBySigma: false, oomKilled: false, deadlineMissed: false };
    const state = { intent: 'STOPPED', counters: { ...ZERO_COUNTERS, runs: 2 }, lastExit: null, job: null, launcherSeq: 4, restart: NO_STORED_RESTART } as const;
    expect(store.loadAll().map((entry) => entry.intent)).toEqual(['STARTED', 'STOPPED']);
    store.saveHeld([
      { processId: started, state, runs: [run, { ...run, pid: 10 }] },
      { processId: other, state: { ...state, intent: 'SUSPENDED' }, runs: [] },
    ], 'acknowledged');
    store.close();
    const reopened = new SqliteStore(path);
    expect(reopened.loadAll().map((entry) => [entry.intent, entry.counters.runs, entry.launcherSeq])).toEqual([
      ['STOPPED', 2, 4],
      ['SUSPENDED', 2, 4],
    ]);
    expect(reopened.listRuns(started, 10).map((stored) => stored.pid)).toEqual([10, 9]);
    reopened.close();
  });

  it(`keeps the last ${RUNS_KEPT_PER_PROCESS} runs of a process, newest first`, () => {
    const store = new SqliteStore(storePath());
    const id = store.insert(definition('a'));
    for (let i = 0; i < RUNS_KEPT_PER_PROCESS + 20; i += 1) {
      const run = { pid: i, startedAtMs: i, endedAtMs: i + 1, exitCode: 0, signal: null, releaseAtMs: null, error: null, endedBySigma: false, oomKilled: false, deadlineMissed: false };
      store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0, restart: NO_STORED_RESTART }, run, 'background');
    }
    const runs = store.listRuns(id, 1000);
    expect(runs).toHaveLength(RUNS_KEPT_PER_PROCESS);
    expect(runs[0]?.pid).toBe(RUNS_KEPT_PER_PROCESS + 19);
    expect(runs.at(-1)?.pid).toBe(20);
    // A page after the 50th newest ends with the oldest kept, whatever waits for the next trim.
    const older = store.listRuns(id, 1000, runs[49]?.id);
    expect(older.map((run) => run.pid)).toEqual(runs.slice(50).map((run) => run.pid));
    store.close();
  });

  it('moves the processes of a store written before partitions into the default partition, keeping their last exit', () => {
    const path = storePath();
    const old = new Database(path);
    const beforePartitions = STORE_MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE partitions'));
    expect(beforePartitions).toBeGreaterThan(0);
    STORE_MIGRATIONS.slice(0, beforePartitions).forEach((sql) => old.exec(sql));
    old.pragma(`user_version = ${beforePartitions}`);
    old.prepare(
      `INSERT INTO processes (name, type, stop_timeout_ms, command_json, env_json, created_at_ms, last_exit_json)
       VALUES ('veteran', 'ONE_SHOT', 5000, '["true"]', '{}', 1, '{"code":0,"signal":null,"atMs":2,"durationMs":1,"error":null}')`,
    ).run();
    old.close();

    const store = new SqliteStore(path);
    const [veteran] = store.loadAll();
    expect(veteran?.definition).toMatchObject({ name: 'veteran', partition: 'default' });
    expect(veteran?.lastExit).toEqual({ code: 0, signal: null, atMs: 2, durationMs: 1, error: null, oomKilled: false });
    expect(store.partitions.list()).toEqual([
      { name: 'default', maxRunning: null, cpu: null, memoryBytes: null, pids: null, maxProcesses: null, definitionBytes: null, createdAtMs: expect.any(Number) },
    ]);
    store.close();
  });

  it("keeps each actor's accepted and refused audit entries apart: a flood of one's refusals pushes out none of the others", () => {
    const store = new SqliteStore(storePath());
    const entry = (actor: string, status: number, path: string): AuditEntry => ({
      atMs: 1,
      address: '127.0.0.1',
      method: 'PUT',
      path,
      processId: null,
      status,
      outcome: status < 400 ? 'OK' : 'SIGMA_ERR_OUT_OF_SCOPE',
      actor,
    });
    const all = { limit: 1000, processId: null, beforeId: null };
    const token = 'token 1 of lab';
    for (let i = 0; i < 3; i += 1) store.recordAudit(entry('node', 200, `/node/accepted/${i}`));
    for (let i = 0; i < 5; i += 1) store.recordAudit(entry('node', 404, `/node/refused/${i}`));
    for (let i = 0; i < 2; i += 1) store.recordAudit(entry(token, 200, `/token/accepted/${i}`));
    const flood = AUDIT_KEPT_PER_ACTOR.refused + 250;
    for (let i = 0; i < flood; i += 1) store.recordAudit(entry(token, 403, `/token/refused/${i}`));

    expect(store.listAudit({ ...all, actor: 'node', refused: false }).map((e) => e.path)).toEqual(['/node/accepted/2', '/node/accepted/1', '/node/accepted/0']);
    expect(store.listAudit({ ...all, actor: 'node', refused: true })).toHaveLength(5);
    expect(store.listAudit({ ...all, actor: token, refused: false }).map((e) => e.path)).toEqual(['/token/accepted/1', '/token/accepted/0']);
    // Trimmed every 100 entries: its latest refusals, at most 99 past what it keeps.
    const refusals = store.listAudit({ ...all, limit: 2000, actor: token, refused: true });
    expect(refusals.length).toBeGreaterThanOrEqual(AUDIT_KEPT_PER_ACTOR.refused);
    expect(refusals.length).toBeLessThan(AUDIT_KEPT_PER_ACTOR.refused + 100);
    expect(refusals[0]?.path).toBe(`/token/refused/${flood - 1}`);
    expect(store.listAudit({ ...all, limit: 3, actor: null, refused: null }).map((e) => e.actor)).toEqual([token, token, token]);
    store.close();
  });

  it('opens a store written before quotas and per-actor audit keeping with its entries, each refused one known as such', () => {
    const path = storePath();
    const old = new Database(path);
    const before = STORE_MIGRATIONS.findIndex((sql) => sql.includes('audit_by_actor'));
    expect(before).toBeGreaterThan(0);
    STORE_MIGRATIONS.slice(0, before).forEach((sql) => old.exec(sql));
    old.pragma(`user_version = ${before}`);
    old.exec(`INSERT INTO partitions (name, max_running, created_at_ms) VALUES ('lab', 2, 1)`);
    const insert = old.prepare(
      `INSERT INTO audit (at_ms, address, method, path, process_id, status, outcome, actor) VALUES (1, '127.0.0.1', 'PUT', ?, NULL, ?, 'x', ?)`,
    );
    insert.run('/kept/accepted', 200, 'node');
    insert.run('/kept/refused', 409, 'token 1 of lab');
    old.close();

    const store = new SqliteStore(path);
    const all = { limit: 10, processId: null, actor: null, beforeId: null };
    expect(store.listAudit({ ...all, refused: null }).map((e) => [e.path, e.actor])).toEqual([
      ['/kept/refused', 'token 1 of lab'],
      ['/kept/accepted', 'node'],
    ]);
    expect(store.listAudit({ ...all, refused: true }).map((e) => e.path)).toEqual(['/kept/refused']);
    expect(store.partitions.list().map(({ name, maxRunning, maxProcesses, definitionBytes }) => [name, maxRunning, maxProcesses, definitionBytes])).toEqual([
      ['default', null, null, null],
      ['lab', 2, 1000, 67_108_864],
    ]);
    store.close();
  });
});
