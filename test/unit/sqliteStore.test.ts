import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ZERO_COUNTERS } from '../../src/core/processModel.js';
import { ProcessNameTakenError } from '../../src/errors/sigmaErrors.js';
import { RUNS_KEPT_PER_PROCESS, SqliteStore, StoreLockedError } from '../../src/runtime/sqliteStore.js';
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
    store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0 }, null, 'background');
    expect(synchronous(), 'after a background write').toBe(1);
    store.saveState(id, { intent: 'STOPPED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0 }, null, 'acknowledged');
    expect(synchronous(), 'after an acknowledged state').toBe(2);
    store.update({ ...store.loadAll()[0]!.definition, command: ['echo'] });
    store.saveState(id, { intent: 'STOPPED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0 }, null, 'background');
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
    store.saveState(first, { intent: 'STARTED', counters: { ...ZERO_COUNTERS, runs: 3 }, lastExit: null, job: { pid: 42, startedAtMs: 5, startTicks: 777 }, launcherSeq: 17 }, null, 'acknowledged');
    store.close();

    const reopened = new SqliteStore(path);
    expect(reopened.insert(definition('c'))).toBe(second + 1);
    const loaded = reopened.loadAll();
    expect(loaded.map((p) => p.definition.name)).toEqual(['a', 'c']);
    expect(loaded[0]).toMatchObject({
      definition: { id: first, name: 'a', spec: { type: 'PERIODIC', periodMs: 100 }, command: ['true'], cwd: '/tmp', env: { A: '1' } },
      intent: 'STARTED',
      counters: { runs: 3 },
      job: { pid: 42, startedAtMs: 5, startTicks: 777 },
      launcherSeq: 17,
    });
    reopened.close();
  });

  it('syncs its write-ahead log on demand: a state written in the background is then on disk', async () => {
    const path = storePath();
    const store = new SqliteStore(path);
    const id = store.insert(definition('a'));
    store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0 }, null, 'background');
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
    store.update({ ...stored!.definition, spec: { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: 7 }, command: ['echo', 'x'], program: null, cwd: null, env: {} });
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
    original.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: { pid: 42, startedAtMs: 5, startTicks: 7 }, launcherSeq: 0 }, null, 'acknowledged');
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

  it(`keeps the last ${RUNS_KEPT_PER_PROCESS} runs of a process, newest first`, () => {
    const store = new SqliteStore(storePath());
    const id = store.insert(definition('a'));
    for (let i = 0; i < RUNS_KEPT_PER_PROCESS + 20; i += 1) {
      const run = { pid: i, startedAtMs: i, endedAtMs: i + 1, exitCode: 0, signal: null, releaseAtMs: null, error: null, endedBySigma: false, oomKilled: false };
      store.saveState(id, { intent: 'STARTED', counters: ZERO_COUNTERS, lastExit: null, job: null, launcherSeq: 0 }, run, 'background');
    }
    const runs = store.listRuns(id, 1000);
    expect(runs).toHaveLength(RUNS_KEPT_PER_PROCESS);
    expect(runs[0]?.pid).toBe(RUNS_KEPT_PER_PROCESS + 19);
    expect(runs.at(-1)?.pid).toBe(20);
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
    expect(store.partitions.list()).toEqual([{ name: 'default', maxRunning: null, cpu: null, memoryBytes: null, pids: null, createdAtMs: expect.any(Number) }]);
    store.close();
  });
});
