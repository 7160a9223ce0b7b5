import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ZERO_COUNTERS, type RunRecord } from '../../src/core/processModel.js';
import { StoreUnavailableError } from '../../src/errors/sigmaErrors.js';
import { NO_STORED_RESTART, SqliteStore, type HeldState, type PersistedState } from '../../src/runtime/sqliteStore.js';
import { StoreBacklog } from '../../src/supervisor/storeBacklog.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

const definition = (name: string) => ({
  name,
  spec: { type: 'PERIODIC', periodMs: 100, stopTimeoutMs: 5000 } as const,
  command: ['true'],
  program: null,
  cwd: null,
  env: {},
  nice: null,
  createdAtMs: 1_000,
  partition: 'default',
});

const stateAt = (runs: number, launcherSeq: number): PersistedState => ({
  intent: 'STARTED',
  counters: { ...ZERO_COUNTERS, runs },
  lastExit: null,
  job: null,
  launcherSeq,
  restart: NO_STORED_RESTART,
});

const runOf = (pid: number): RunRecord => ({
  pid,
  startedAtMs: pid,
  endedAtMs: pid + 1,
  exitCode: 0,
  signal: null,
  releaseAtMs: pid,
  error: null,
  endedBySigma: false,
  oomKilled: false,
  deadlineMissed: false,
});

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** A real store, which refuses writes while `refusing` is set, as a full disk does. */
function setUp() {
  const store = new SqliteStore(join(makeTempDir('sigma-backlog-'), 'sigma.db'));
  const ids = [store.insert(definition('a'), 'STARTED'), store.insert(definition('b'), 'STARTED')] as [number, number];
  const control = { refusing: false };
  const refusable = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if ((key === 'saveState' || key === 'saveHeld') && typeof value === 'function') {
        return (...args: unknown[]) => {
          if (control.refusing) throw new StoreUnavailableError('SQLITE_FULL');
          return (value as (...values: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...values: unknown[]) => unknown).bind(target) : value;
    },
  });
  const written: HeldState[][] = [];
  const backlog = new StoreBacklog({ store: refusable, logger: silent as never, onWritten: (entries) => written.push([...entries]) });
  const stored = (id: number) => store.loadAll().find((entry) => entry.definition.id === id);
  return { store, ids, control, backlog, written, stored };
}

describe('StoreBacklog', () => {
  it('writes deferred changes together, later, and tells what it wrote (to acknowledge the events)', async () => {
    const { store, ids, backlog, written, stored } = setUp();
    const [a, b] = ids;
    backlog.defer(a, stateAt(1, 7), runOf(101));
    backlog.defer(a, stateAt(2, 8), runOf(102));
    backlog.defer(b, stateAt(1, 3), null);
    expect(stored(a)?.counters.runs, 'not written yet').toBe(0);
    expect(written).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stored(a)?.counters.runs).toBe(2);
    expect(stored(a)?.launcherSeq).toBe(8);
    expect(stored(b)?.launcherSeq).toBe(3);
    expect(store.listRuns(a, 10).map((run) => run.pid)).toEqual([102, 101]);
    expect(written).toHaveLength(1);
    expect(written[0]?.map((entry) => [entry.processId, entry.state.launcherSeq])).toEqual([
      [a, 8],
      [b, 3],
    ]);
    store.close();
  });

  it('writes what is pending with the next direct write, before it, and when a read asks for it', () => {
    const { store, ids, backlog, written, stored } = setUp();
    const [a, b] = ids;
    backlog.defer(a, stateAt(1, 5), runOf(201));
    backlog.write(b, stateAt(4, 0), null);
    expect(stored(a)?.launcherSeq, 'carried by the direct write').toBe(5);
    expect(stored(b)?.counters.runs).toBe(4);
    expect(written.at(-1)?.map((entry) => entry.processId)).toEqual([a, b]);
    backlog.defer(a, stateAt(2, 6), runOf(202));
    backlog.flushPending();
    expect(store.listRuns(a, 10).map((run) => run.pid)).toEqual([202, 201]);
    store.close();
  });

  it('holds what is pending when the store refuses it, and writes it once the store takes writes again', () => {
    const { store, ids, control, backlog, written, stored } = setUp();
    const [a] = ids;
    control.refusing = true;
    backlog.defer(a, stateAt(3, 9), runOf(301));
    backlog.flushPending();
    expect(backlog.holds(a)).toBe(true);
    expect(written, 'nothing acknowledged while refused').toEqual([]);
    control.refusing = false;
    expect(backlog.flush()).toBe(true);
    expect(backlog.holds(a)).toBe(false);
    expect(stored(a)?.launcherSeq).toBe(9);
    expect(store.listRuns(a, 10).map((run) => run.pid)).toEqual([301]);
    store.close();
  });

  it('drops what is pending of a deleted process', () => {
    const { store, ids, backlog, written, stored } = setUp();
    const [a] = ids;
    backlog.defer(a, stateAt(1, 4), runOf(401));
    backlog.forget(a);
    backlog.flushPending();
    expect(written).toEqual([]);
    expect(stored(a)?.launcherSeq).toBe(0);
    store.close();
  });
});
