// The node's data in one SQLite file (WAL): definitions, intent, counters, last exit, run history.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { ProcessDefinition, NewProcessDefinition } from '../core/processDefinition.js';
import type { Counters, DeadlineMissAction, Intent, LastExit, ProcessSpec, RestartLog, RestartPolicy, RunRecord, TimeCapacity } from '../core/processModel.js';
import { ProcessNameTakenError, StoreUnavailableError } from '../errors/sigmaErrors.js';
import { SqlitePartitionStore, type PartitionStore } from './partitionStore.js';
import { STORE_MIGRATIONS } from './storeMigrations.js';
import { WalSync } from './walSync.js';

export const RUNS_KEPT_PER_PROCESS = 100;
const RUNS_TRIMMED_EVERY = 16;
/**
 * The audit trail keeps each actor's entries apart: its latest accepted changes and, fewer, its
 * latest refused requests, so that no one's refusals (or anyone else's flood) push out a change.
 */
export const AUDIT_KEPT_PER_ACTOR = { accepted: 10_000, refused: 1_000 } as const;
/** How often (in entries) the trail is trimmed back to what it keeps. */
const AUDIT_TRIM_EVERY = 100;

export class StoreLockedError extends Error {
  constructor(path: string) {
    super(`another sigma daemon is using this data dir (${path} is locked): stop it first, or give another --data-dir`);
  }
}

/** The store file cannot be read as the node's store: the daemon does not start on it. */
export class StoreDamagedError extends Error {
  constructor(path: string, detail: string) {
    super(`the store ${path} is damaged (${detail}): restore it, with its -wal file, from a backup; sigma does not start on a damaged store`);
  }
}

/**
 * The store holds no node while the data dir names one (node-id): it was emptied, truncated, or
 * lost its WAL. Starting on it would make a new node and leave the old one's jobs running unmanaged.
 */
export class NodeLostError extends Error {
  constructor(path: string, keptNodeId: string, nodeIdPath: string) {
    super(
      `the store ${path} has lost node ${keptNodeId}: it holds no node (emptied, truncated, or its -wal file lost or damaged), while ${nodeIdPath} names ${keptNodeId}, ` +
        `whose jobs may still run (SIGMA_NODE_ID=${keptNodeId} in their environment, cgroup sigma-${keptNodeId}). ` +
        `Restore the store, with its -wal file, from a backup; or, to start this data dir as a new node with no processes, end those jobs and remove ${nodeIdPath}`,
    );
  }
}

export interface PersistedState {
  readonly intent: Intent;
  readonly counters: Counters;
  readonly lastExit: LastExit | null;
  readonly job: StoredJob | null;
  /** The last of the launcher's events applied to this process (0: none of this launcher's). */
  readonly launcherSeq: number;
  readonly restart: StoredRestart;
}

/** What the restart policy remembers, and a restart pending (at a time) or held by a suspension (a delay left). */
export interface StoredRestart extends RestartLog {
  readonly pendingAtMs: number | null;
  readonly heldMs: number | null;
  /** The pending (or held) release is a delayed START's first job, not a restart. */
  readonly isStart?: boolean;
}

export const NO_STORED_RESTART: StoredRestart = { lastDelayMs: null, recentAtMs: [], pendingAtMs: null, heldMs: null };

/** The live job of a process as recorded: enough to find it again after a crash of the daemon. */
export interface StoredJob {
  readonly pid: number;
  readonly startedAtMs: number;
  /** Start time of its leader in /proc (clock ticks after boot); null if it could not be read. */
  readonly startTicks: number | null;
  /** What its deadline is counted from (absent: written before jobs kept it). */
  readonly timing?: StoredJobTiming;
}

/** A job's deadline state: a daemon that adopts the job goes on with it. */
export interface StoredJobTiming {
  readonly releaseAtMs: number | null;
  readonly suspendedMs?: number;
  readonly suspendedAtMs?: number;
  readonly deadlineMissed?: true;
  /** Being ended for its deadline miss (`stop`): the process goes back to its grid or restart handling after. */
  readonly endingAfterMiss?: true;
}

/** A process's state as it is now, with the runs the store has not taken yet. */
export interface HeldState {
  readonly processId: number;
  readonly state: PersistedState;
  readonly runs: readonly RunRecord[];
}

export interface StoredProcess extends PersistedState {
  readonly definition: ProcessDefinition;
}

export interface StoredRun extends RunRecord {
  readonly id: number;
}

/** One request that changed (or tried to change) something. */
export interface AuditEntry {
  readonly atMs: number;
  readonly address: string;
  readonly method: string;
  readonly path: string;
  readonly processId: number | null;
  readonly status: number;
  /** OK, FAILED (with its reason) or the error code. */
  readonly outcome: string;
  /** Whose token: `node`, or `token <id> of <partition>`. */
  readonly actor: string;
}

export interface StoredAuditEntry extends AuditEntry {
  readonly id: number;
}

/** Which entries to list, newest first; a null field does not filter. */
export interface AuditFilter {
  readonly limit: number;
  readonly processId: number | null;
  readonly actor: string | null;
  /** true: the refused requests (status 400 and above) only; false: the accepted only. */
  readonly refused: boolean | null;
  /** Only entries older than this one (a page after it, newest first). */
  readonly beforeId: number | null;
}

/**
 * `acknowledged`: an operator's request waits on it, so it is synced to disk before the answer.
 * `background`: an event (a job's exit, a release); a power cut may lose the last ones, a crash of
 * the daemon loses none, and the next acknowledged write syncs them too.
 */
export type Durability = 'acknowledged' | 'background';

/** A process of a fleet: the id the fleet gave it, and whether it may move to another node. */
export interface FleetIdentity {
  readonly id: number;
  readonly relocatable: boolean;
}

export interface ProcessStore {
  /**
   * This node's id, made once and kept for the life of the store file. A store found in another
   * file than the one that made its id (a copied or restored data dir) is a new node: it gets a
   * new id and forgets the jobs it recorded, which belong to the original (`copied` is then true).
   *
   * `keptNodeId` is the id the data dir keeps outside the store (null: none): a store that holds
   * no node while the data dir names one has lost it (NodeLostError), and no new node is made in it.
   */
  claimNode(keptNodeId?: string | null): { readonly nodeId: string; readonly copied: boolean };
  /** The launcher whose events the processes' `launcherSeq` count (null: none yet). */
  launcherEpoch(): number | null;
  /** A launcher of another epoch: every process's count starts again. */
  /**
   * Records a new launcher's epoch (its event numbers start again): false when the store refuses
   * it now (a full disk), and it is then written with the first process state written.
   */
  setLauncherEpoch(epoch: number): boolean;
  loadAll(): StoredProcess[];
  /**
   * A new process with its intent (STARTED for one created to start at once): one write. Its id:
   * the fleet's where given (unique in it), else the next of this store.
   */
  insert(definition: NewProcessDefinition, intent?: Intent, fleet?: FleetIdentity | null): number;
  /** The processes that may be moved to another node of a fleet when this one is down. */
  relocatableIds(): number[];
  /** The relocatable processes this node fenced while cut off from etcd (to start again once back, if still its own). */
  fencedIds(): number[];
  setFencedIds(ids: readonly number[]): void;
  /** Replaces the definition of a process (its name and id stay). */
  update(definition: ProcessDefinition): void;
  saveState(processId: number, state: PersistedState, run: RunRecord | null, durability: Durability): void;
  /** Writes several processes' states and runs in one transaction: those the store refused earlier (synced), or a batch of the launcher's events. */
  saveHeld(held: readonly HeldState[], durability: Durability): void;
  /**
   * Makes every write so far durable, off the event loop: an operation writes its decision with
   * `background` durability, acts, and waits for this before its answer (the sync and its act overlap).
   */
  sync(): Promise<void>;
  remove(processId: number): void;
  /** Newest first; with `beforeId`, only runs older than that one (the next page). */
  listRuns(processId: number, limit: number, beforeId?: number | null): StoredRun[];
  /** Written after the answer: a crash may lose the last entries, never a change they describe. */
  recordAudit(entry: AuditEntry): void;
  listAudit(filter: AuditFilter): StoredAuditEntry[];
  readonly partitions: PartitionStore;
  close(): void;
}

interface ProcessRow {
  id: number;
  name: string;
  partition: string;
  type: 'ONE_SHOT' | 'PERIODIC';
  period_ms: number | null;
  stop_timeout_ms: number;
  command_json: string;
  program: string | null;
  cwd: string | null;
  env_json: string;
  created_at_ms: number;
  intent: Intent;
  runs: number;
  overruns: number;
  skipped: number;
  failures: number;
  restarts: number;
  restart_json: string | null;
  time_capacity_ms: number | null;
  on_deadline_miss: DeadlineMissAction | null;
  deadline_misses: number;
  nice: number | null;
  restart_state_json: string | null;
  last_exit_json: string | null;
  job_pid: number | null;
  job_started_at_ms: number | null;
  job_timing_json: string | null;
  job_start_ticks: number | null;
  launcher_seq: number;
}

interface AuditRow {
  id: number;
  at_ms: number;
  address: string;
  method: string;
  path: string;
  process_id: number | null;
  status: number;
  outcome: string;
  actor: string;
}

interface RunRow {
  id: number;
  pid: number | null;
  started_at_ms: number;
  ended_at_ms: number;
  exit_code: number | null;
  signal: string | null;
  release_at_ms: number | null;
  error: string | null;
  ended_by_sigma: number;
  oom_killed: number;
  deadline_missed: number;
}

export class SqliteStore implements ProcessStore {
  private readonly db: Database.Database;
  private readonly path: string;
  private durability: Durability | null = null;
  private readonly walSync: WalSync;
  private readonly statements;
  /** Runs inserted per process since its runs were last trimmed to RUNS_KEPT_PER_PROCESS. */
  private readonly runsSinceTrim = new Map<number, number>();
  /** A new launcher's epoch the store refused: written before the next process state. */
  private pendingEpoch: number | null = null;
  readonly partitions: PartitionStore;

  /** The store file itself (device and inode): a copy of the data dir has another. */
  private readonly fileIdentity: string;

  constructor(path: string) {
    // Created owner-only before SQLite opens it; the WAL and shm files take the same mode. Never
    // through a link (SQLite itself follows one, but the data dir was checked to have none).
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const status = fstatSync(fd);
    closeSync(fd);
    if (!status.isFile()) throw new Error(`the store ${path} is not a regular file`);
    const { dev, ino } = status;
    this.fileIdentity = `${dev}:${ino}`;
    this.walSync = new WalSync(`${path}-wal`);
    this.path = path;
    this.db = new Database(path);
    try {
      // One daemon per store: the first takes an exclusive lock and holds it until it closes
      // (the kernel drops it if the daemon dies); a second fails at once instead of waiting.
      this.db.pragma('busy_timeout = 0');
      this.db.pragma('locking_mode = EXCLUSIVE');
      const journalMode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (journalMode !== 'wal') throw new Error(`the store at ${path} cannot use WAL (journal mode ${String(journalMode)})`);
      this.db.exec('BEGIN EXCLUSIVE; COMMIT;');
      this.checkIntact();
    } catch (error) {
      this.db.close();
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY') throw new StoreLockedError(path);
      if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) throw new StoreDamagedError(path, (error as Error).message);
      throw error;
    }
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.partitions = new SqlitePartitionStore(this.db, (write) => {
      this.setDurability('acknowledged');
      try {
        return write();
      } catch (error) {
        throw asStoreError(error);
      }
    });
    this.statements = {
      insert: this.db.prepare(
        `INSERT INTO processes (id, relocatable, name, partition, type, period_ms, stop_timeout_ms, command_json, program, cwd, env_json, restart_json, nice, time_capacity_ms, on_deadline_miss, created_at_ms, intent)
         VALUES (@id, @relocatable, @name, @partition, @type, @periodMs, @stopTimeoutMs, @command, @program, @cwd, @env, @restart, @nice, @timeCapacityMs, @onDeadlineMiss, @createdAtMs, @intent)`,
      ),
      relocatableIds: this.db.prepare('SELECT id FROM processes WHERE relocatable = 1 ORDER BY id').pluck(),
      saveState: this.db.prepare(
        `UPDATE processes SET intent = @intent, runs = @runs, overruns = @overruns, skipped = @skipped,
           failures = @failures, restarts = @restarts, deadline_misses = @deadlineMisses, last_exit_json = @lastExit, job_pid = @jobPid, job_started_at_ms = @jobStartedAtMs,
           job_start_ticks = @jobStartTicks, job_timing_json = @jobTiming, launcher_seq = @launcherSeq, restart_state_json = @restartState
         WHERE id = @id`,
      ),
      insertRun: this.db.prepare(
        `INSERT INTO runs (process_id, pid, started_at_ms, ended_at_ms, exit_code, signal, release_at_ms, error, ended_by_sigma, oom_killed, deadline_missed)
         VALUES (@processId, @pid, @startedAtMs, @endedAtMs, @exitCode, @signal, @releaseAtMs, @error, @endedBySigma, @oomKilled, @deadlineMissed)`,
      ),
      trimRuns: this.db.prepare(
        `DELETE FROM runs WHERE process_id = @processId AND id <= (
           SELECT id FROM runs WHERE process_id = @processId ORDER BY id DESC LIMIT 1 OFFSET ${RUNS_KEPT_PER_PROCESS})`,
      ),
      update: this.db.prepare(
        `UPDATE processes SET type = @type, period_ms = @periodMs, stop_timeout_ms = @stopTimeoutMs, command_json = @command,
           program = @program, cwd = @cwd, env_json = @env, restart_json = @restart, nice = @nice,
           time_capacity_ms = @timeCapacityMs, on_deadline_miss = @onDeadlineMiss WHERE id = @id`,
      ),
      insertAudit: this.db.prepare(
        `INSERT INTO audit (at_ms, address, method, path, process_id, status, outcome, actor, refused)
         VALUES (@atMs, @address, @method, @path, @processId, @status, @outcome, @actor, @refused)`,
      ),
      auditGroups: this.db.prepare('SELECT DISTINCT actor, refused FROM audit'),
      trimAudit: this.db.prepare(
        `DELETE FROM audit WHERE actor = @actor AND refused = @refused AND id <= (
           SELECT id FROM audit WHERE actor = @actor AND refused = @refused ORDER BY id DESC LIMIT 1 OFFSET @kept)`,
      ),
      listAudit: this.db.prepare(
        `SELECT * FROM audit WHERE (@processId IS NULL OR process_id = @processId) AND (@actor IS NULL OR actor = @actor)
           AND (@refused IS NULL OR refused = @refused) AND (@beforeId IS NULL OR id < @beforeId) ORDER BY id DESC LIMIT @limit`,
      ),
      remove: this.db.prepare('DELETE FROM processes WHERE id = ?'),
      loadAll: this.db.prepare('SELECT * FROM processes ORDER BY id'),
      // Only the last RUNS_KEPT_PER_PROCESS: more may be stored between two trims (writeRun).
      listRuns: this.db.prepare(
        `SELECT * FROM runs WHERE process_id = @processId AND (@beforeId IS NULL OR id < @beforeId)
           AND id >= COALESCE((SELECT id FROM runs WHERE process_id = @processId ORDER BY id DESC LIMIT 1 OFFSET ${RUNS_KEPT_PER_PROCESS - 1}), 0)
         ORDER BY id DESC LIMIT @limit`,
      ),
    };
  }

  claimNode(keptNodeId: string | null = null, nodeIdPath = 'the node-id file'): { readonly nodeId: string; readonly copied: boolean } {
    const storedId = this.nodeValue('id');
    if (storedId === null && keptNodeId !== null) throw new NodeLostError(this.path, keptNodeId, nodeIdPath);
    if (storedId !== null && this.nodeValue('file') === this.fileIdentity) return { nodeId: storedId, copied: false };
    const nodeId = randomBytes(12).toString('base64url');
    this.setDurability('acknowledged');
    this.db.transaction(() => {
      this.putNodeValue('id', nodeId);
      this.putNodeValue('file', this.fileIdentity);
      if (storedId !== null) this.db.exec('UPDATE processes SET job_pid = NULL, job_started_at_ms = NULL, job_start_ticks = NULL');
    })();
    return { nodeId, copied: storedId !== null };
  }

  launcherEpoch(): number | null {
    if (this.pendingEpoch !== null) return this.pendingEpoch;
    const value = this.nodeValue('launcher_epoch');
    return value === null ? null : Number(value);
  }

  setLauncherEpoch(epoch: number): boolean {
    this.setDurability('acknowledged');
    try {
      this.db.transaction(() => this.writeEpochRows(epoch))();
      this.pendingEpoch = null;
      return true;
    } catch (error) {
      const refused = asStoreError(error);
      if (!(refused instanceof StoreUnavailableError)) throw refused;
      // Written first in the next transaction that writes a process's state: no state holding
      // this launcher's event numbers is ever stored under the launcher before.
      this.pendingEpoch = epoch;
      return false;
    }
  }

  private writeEpochRows(epoch: number): void {
    this.putNodeValue('launcher_epoch', String(epoch));
    this.db.exec('UPDATE processes SET launcher_seq = 0');
  }

  /** Runs `write` in one transaction, after the launcher's epoch if the store refused it before. */
  private inStateTransaction(write: () => void): void {
    const epoch = this.pendingEpoch;
    this.db.transaction(() => {
      if (epoch !== null) this.writeEpochRows(epoch);
      write();
    })();
    if (epoch !== null) this.pendingEpoch = null;
  }

  /** No event id below this was given by an earlier boot (0: none recorded). */
  eventIdsReservedBelow(): number {
    return Number(this.nodeValue('event_ids_below') ?? 0);
  }

  reserveEventIdsBelow(belowId: number): void {
    this.storeNodeValue('event_ids_below', String(belowId));
  }

  relocatableIds(): number[] {
    return this.statements.relocatableIds.all() as number[];
  }

  fencedIds(): number[] {
    return JSON.parse(this.nodeValue('fenced') ?? '[]') as number[];
  }

  setFencedIds(ids: readonly number[]): void {
    this.storeNodeValue('fenced', JSON.stringify(ids));
  }

  /** A value the node table keeps (the node's own facts), null when it has none. */
  private nodeValue(key: string): string | null {
    return (this.db.prepare('SELECT value FROM node WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  /** Puts a value of the node table, in the caller's transaction if there is one. */
  private putNodeValue(key: string, value: string): void {
    this.db.prepare('INSERT INTO node (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Stores a value of the node table, synced before it returns; a refusal is the store's error. */
  private storeNodeValue(key: string, value: string): void {
    this.setDurability('acknowledged');
    try {
      this.putNodeValue(key, value);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  loadAll(): StoredProcess[] {
    return (this.statements.loadAll.all() as ProcessRow[]).map((row) => {
      try {
        const stored = rowToStored(row);
        // A launcher whose epoch the store has not taken yet numbers its events afresh: none of
        // those stored (the launcher before's) was applied from it.
        return this.pendingEpoch === null ? stored : { ...stored, launcherSeq: 0 };
      } catch (error) {
        // A value garbled on disk that SQLite's own checks cannot see (the text of a JSON column).
        throw new StoreDamagedError(this.path, `process ${row.id}: ${(error as Error).message}`);
      }
    });
  }

  insert(definition: NewProcessDefinition, intent: Intent = 'STOPPED', fleet: FleetIdentity | null = null): number {
    this.setDurability('acknowledged');
    try {
      const { name, partition, createdAtMs } = definition;
      // A null id takes the next one (AUTOINCREMENT).
      const result = this.statements.insert.run({ ...definitionRow(definition), id: fleet?.id ?? null, relocatable: fleet?.relocatable ? 1 : 0, name, partition, createdAtMs, intent });
      return Number(result.lastInsertRowid);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ProcessNameTakenError(definition.name);
      throw asStoreError(error);
    }
  }

  saveState(processId: number, state: PersistedState, run: RunRecord | null, durability: Durability): void {
    this.setDurability(durability);
    try {
      this.writeState(processId, state, run);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  saveHeld(held: readonly HeldState[], durability: Durability): void {
    this.setDurability(durability);
    try {
      this.inStateTransaction(() => {
        for (const { processId, state, runs } of held) {
          this.writeStateRow(processId, state);
          for (const run of runs) this.writeRun(processId, run);
        }
      });
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private writeState(processId: number, state: PersistedState, run: RunRecord | null): void {
    this.inStateTransaction(() => {
      this.writeStateRow(processId, state);
      if (run) this.writeRun(processId, run);
    });
  }

  private writeStateRow(processId: number, state: PersistedState): void {
    this.statements.saveState.run({
        id: processId,
        intent: state.intent,
        ...state.counters,
        lastExit: state.lastExit ? JSON.stringify(state.lastExit) : null,
        jobPid: state.job?.pid ?? null,
        jobStartedAtMs: state.job?.startedAtMs ?? null,
        jobStartTicks: state.job?.startTicks ?? null,
        jobTiming: state.job?.timing ? JSON.stringify(state.job.timing) : null,
        launcherSeq: state.launcherSeq,
        restartState: JSON.stringify(state.restart),
      });
  }

  private writeRun(processId: number, run: RunRecord): void {
    this.statements.insertRun.run({ processId, ...run, endedBySigma: run.endedBySigma ? 1 : 0, oomKilled: run.oomKilled ? 1 : 0, deadlineMissed: run.deadlineMissed ? 1 : 0 });
    // Trimmed every few runs, not after each: the DELETE costs as much as the INSERT.
    const sinceTrim = (this.runsSinceTrim.get(processId) ?? 0) + 1;
    if (sinceTrim < RUNS_TRIMMED_EVERY) {
      this.runsSinceTrim.set(processId, sinceTrim);
      return;
    }
    this.statements.trimRuns.run({ processId });
    this.runsSinceTrim.delete(processId);
  }

  update(definition: ProcessDefinition): void {
    this.setDurability('acknowledged');
    try {
      this.statements.update.run({ ...definitionRow(definition), id: definition.id });
    } catch (error) {
      throw asStoreError(error);
    }
  }

  remove(processId: number): void {
    this.setDurability('acknowledged');
    try {
      this.statements.remove.run(processId);
      this.runsSinceTrim.delete(processId);
    } catch (error) {
      throw asStoreError(error);
    }
  }

  listRuns(processId: number, limit: number, beforeId: number | null = null): StoredRun[] {
    return (this.statements.listRuns.all({ processId, beforeId, limit }) as RunRow[]).map((row) => ({
      id: row.id,
      pid: row.pid,
      startedAtMs: row.started_at_ms,
      endedAtMs: row.ended_at_ms,
      exitCode: row.exit_code,
      signal: row.signal,
      releaseAtMs: row.release_at_ms,
      error: row.error,
      endedBySigma: row.ended_by_sigma === 1,
      oomKilled: row.oom_killed === 1,
      deadlineMissed: row.deadline_missed === 1,
    }));
  }

  recordAudit(entry: AuditEntry): void {
    this.setDurability('background');
    try {
      const { lastInsertRowid } = this.statements.insertAudit.run({ ...entry, refused: entry.status >= 400 ? 1 : 0 });
      if (Number(lastInsertRowid) % AUDIT_TRIM_EVERY === 0) this.trimAudit();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  /** Each actor's accepted and refused entries, each group back to what it keeps. */
  private trimAudit(): void {
    this.db.transaction(() => {
      for (const { actor, refused } of this.statements.auditGroups.all() as Array<{ actor: string; refused: number }>) {
        const kept = refused === 1 ? AUDIT_KEPT_PER_ACTOR.refused : AUDIT_KEPT_PER_ACTOR.accepted;
        this.statements.trimAudit.run({ actor, refused, kept });
      }
    })();
  }

  listAudit({ limit, processId, actor, refused, beforeId }: AuditFilter): StoredAuditEntry[] {
    const rows = this.statements.listAudit.all({ limit, processId, actor, refused: refused === null ? null : refused ? 1 : 0, beforeId }) as AuditRow[];
    return rows.map((row) => ({
      id: row.id,
      atMs: row.at_ms,
      address: row.address,
      method: row.method,
      path: row.path,
      processId: row.process_id,
      status: row.status,
      outcome: row.outcome,
      actor: row.actor,
    }));
  }

  sync(): Promise<void> {
    return this.walSync.sync();
  }

  close(): void {
    void this.walSync.close();
    if (this.db.open) this.db.close();
  }

  /** SQLite's own check of the file's structure, at every start: a damaged store is named, not half read. */
  private checkIntact(): void {
    const problems = (this.db.pragma('quick_check(3)') as { quick_check: string }[]).map((row) => row.quick_check.replace(/\s*\n\s*/g, ' '));
    if (problems.length !== 1 || problems[0] !== 'ok') throw new StoreDamagedError(this.path, `PRAGMA quick_check: ${problems.join('; ')}`);
  }

  private migrate(): void {
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    if (applied > STORE_MIGRATIONS.length) {
      throw new Error(`the store was written by a newer sigma (schema ${applied}, this one knows ${STORE_MIGRATIONS.length})`);
    }
    STORE_MIGRATIONS.slice(applied).forEach((sql, index) => {
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${applied + index + 1}`);
      })();
    });
  }

  private setDurability(durability: Durability): void {
    if (durability === this.durability) return;
    this.db.pragma(`synchronous = ${durability === 'acknowledged' ? 'FULL' : 'NORMAL'}`);
    this.durability = durability;
  }
}

/** A write the disk refused is the operator's to fix, not an internal error. */
function asStoreError(error: unknown): unknown {
  const code = (error as { code?: string }).code ?? '';
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY)/.test(code) ? new StoreUnavailableError(code) : error;
}

/** The columns of a definition that an update may change. */
function definitionRow(definition: NewProcessDefinition) {
  return {
    type: definition.spec.type,
    periodMs: definition.spec.periodMs,
    stopTimeoutMs: definition.spec.stopTimeoutMs,
    command: JSON.stringify(definition.command),
    program: definition.program,
    cwd: definition.cwd,
    env: JSON.stringify(definition.env),
    restart: definition.spec.type === 'ONE_SHOT' && definition.spec.restart !== null ? JSON.stringify(definition.spec.restart) : null,
    nice: definition.nice,
    timeCapacityMs: definition.spec.capacity?.timeCapacityMs ?? null,
    onDeadlineMiss: definition.spec.capacity?.onDeadlineMiss ?? null,
  };
}

function rowToStored(row: ProcessRow): StoredProcess {
  const capacity: TimeCapacity | null = row.time_capacity_ms === null ? null : { timeCapacityMs: row.time_capacity_ms, onDeadlineMiss: row.on_deadline_miss ?? 'log' };
  const spec: ProcessSpec =
    row.type === 'PERIODIC'
      ? { type: 'PERIODIC', periodMs: row.period_ms ?? 1, stopTimeoutMs: row.stop_timeout_ms, capacity }
      : { type: 'ONE_SHOT', periodMs: null, stopTimeoutMs: row.stop_timeout_ms, restart: row.restart_json ? (JSON.parse(row.restart_json) as RestartPolicy) : null, capacity };
  return {
    definition: {
      id: row.id,
      name: row.name,
      partition: row.partition,
      spec,
      command: JSON.parse(row.command_json) as string[],
      program: row.program,
      cwd: row.cwd,
      env: JSON.parse(row.env_json) as Record<string, string>,
      nice: row.nice,
      createdAtMs: row.created_at_ms,
    },
    intent: row.intent,
    counters: { runs: row.runs, overruns: row.overruns, skipped: row.skipped, failures: row.failures, restarts: row.restarts, deadlineMisses: row.deadline_misses },
    // Written before runs recorded OOM kills, a last exit has no oomKilled.
    lastExit: row.last_exit_json ? { oomKilled: false, ...(JSON.parse(row.last_exit_json) as Partial<LastExit>) } as LastExit : null,
    job:
      row.job_pid === null || row.job_started_at_ms === null
        ? null
        : {
            pid: row.job_pid,
            startedAtMs: row.job_started_at_ms,
            startTicks: row.job_start_ticks,
            ...(row.job_timing_json ? { timing: JSON.parse(row.job_timing_json) as StoredJobTiming } : {}),
          },
    launcherSeq: row.launcher_seq,
    restart: row.restart_state_json ? { ...NO_STORED_RESTART, ...(JSON.parse(row.restart_state_json) as Partial<StoredRestart>) } : NO_STORED_RESTART,
  };
}
