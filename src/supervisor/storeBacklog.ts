// What the supervisor writes of changes that have happened on the node, besides an operation's own
// decision (written at once). Two kinds are kept in memory a while:
// - Pending: the launcher's events that led to no action (a release made, a job ended), written
//   together in one transaction every PENDING_WRITE_MS. The launcher keeps each event until it is
//   acknowledged, after that write: a daemon that dies first is told them again. At 2,000 events
//   a second, one transaction per event was most of the daemon's work.
// - Held: what the store refused (a full or read-only disk): each such process's state as it is
//   now and its runs not yet written, written again every second until the disk takes them, so
//   that a restart after the disk recovered knows of them.
// Any write goes with everything pending and held, in one transaction.
import type { RunRecord } from '../core/processModel.js';
import { StoreUnavailableError } from '../errors/sigmaErrors.js';
import { RUNS_KEPT_PER_PROCESS, type HeldState, type PersistedState, type ProcessStore } from '../runtime/sqliteStore.js';
import type { SupervisorLogger } from './supervisor.js';

export const STORE_RETRY_MS = 1000;
const PENDING_WRITE_MS = 10;

export interface StoreBacklogOptions {
  readonly store: ProcessStore;
  readonly logger: SupervisorLogger;
  /** Told what was written at last (the launcher's events it applied can then be acknowledged). */
  readonly onWritten: (written: readonly HeldState[]) => void;
}

interface Held {
  state: PersistedState;
  runs: RunRecord[];
}

export class StoreBacklog {
  private readonly held = new Map<number, Held>();
  private readonly pending = new Map<number, Held>();
  private timer: NodeJS.Timeout | null = null;
  private pendingFlush: NodeJS.Timeout | null = null;

  constructor(private readonly options: StoreBacklogOptions) {}

  holds(processId: number): boolean {
    return this.held.has(processId);
  }

  /** Writes a process's new state (and its run) with whatever is pending and held; throws, holding nothing new, if the store refuses. */
  write(processId: number, state: PersistedState, run: RunRecord | null): void {
    if (this.held.size === 0 && this.pending.size === 0) {
      this.options.store.saveState(processId, state, run, 'background');
      return;
    }
    const all = this.everything();
    all.set(processId, followedBy(all.get(processId), changeOf(state, run)));
    this.writeAll(all);
  }

  /** A change the launcher will tell again until it is acknowledged: written a little later, with the others. */
  defer(processId: number, state: PersistedState, run: RunRecord | null): void {
    this.pending.set(processId, followedBy(this.pending.get(processId), changeOf(state, run)));
    this.pendingFlush ??= setTimeout(() => this.flushPending(), PENDING_WRITE_MS).unref();
  }

  /** Writes what is pending now (a read of the runs wants them); a refusal holds it. */
  flushPending(): void {
    if (this.pendingFlush) clearTimeout(this.pendingFlush);
    this.pendingFlush = null;
    if (this.pending.size === 0) return;
    try {
      this.writeAll(this.everything());
    } catch (error) {
      const pending = [...this.pending];
      this.pending.clear();
      if (!(error instanceof StoreUnavailableError)) {
        this.options.logger.error({ err: error, processIds: pending.map(([processId]) => processId) }, 'could not store changes that have happened');
        return;
      }
      for (const [processId, change] of pending) this.keep(processId, change, error);
    }
  }

  /** Holds a change the store refused, to be written once it can be. */
  hold(processId: number, state: PersistedState, run: RunRecord | null, error: unknown): void {
    this.keep(processId, changeOf(state, run), error);
  }

  /** A deleted process: nothing of it is to be written any more. */
  forget(processId: number): void {
    this.held.delete(processId);
    this.pending.delete(processId);
    if (this.held.size === 0) this.stopRetrying();
  }

  /** Tries to write everything held now; answers whether nothing is held any more. */
  flush(): boolean {
    if (this.held.size === 0) return true;
    try {
      this.writeAll(this.everything());
      return true;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) this.options.logger.error({ err: error }, 'could not write the changes held in memory');
      return false;
    }
  }

  /** At shutdown: a last try, and what is lost is named. */
  close(): void {
    this.flushPending();
    this.stopRetrying();
    if (!this.flush()) {
      this.options.logger.error({ processIds: [...this.held.keys()] }, 'the store still refuses writes: the changes held for these processes are lost with this daemon');
    }
  }

  private keep(processId: number, change: Held, error: unknown): void {
    if (this.held.size === 0) {
      this.options.logger.error({ err: error }, 'the store refuses writes: changes are held in memory and written again every second until it takes them');
    }
    this.held.set(processId, followedBy(this.held.get(processId), change));
    this.timer ??= setInterval(() => this.flush(), STORE_RETRY_MS).unref();
  }

  /** What is held, with what is pending after it. */
  private everything(): Map<number, Held> {
    const all = new Map(this.held);
    for (const [processId, change] of this.pending) all.set(processId, followedBy(all.get(processId), change));
    return all;
  }

  private writeAll(all: Map<number, Held>): void {
    const entries: HeldState[] = [...all].map(([processId, { state, runs }]) => ({ processId, state, runs }));
    // What the store refused before is synced once it takes it.
    this.options.store.saveHeld(entries, this.held.size > 0 ? 'acknowledged' : 'background');
    const wasHeld = this.held.size;
    this.held.clear();
    this.pending.clear();
    this.stopRetrying();
    if (wasHeld > 0) this.options.logger.info({ processes: wasHeld }, 'the store takes writes again: the changes held in memory are written');
    this.options.onWritten(entries);
  }

  private stopRetrying(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A process's later change after an earlier one: the later state, the runs of both (the last kept). */
function followedBy(earlier: Held | undefined, later: Held): Held {
  if (!earlier) return later;
  return { state: later.state, runs: later.runs.length === 0 ? earlier.runs : [...earlier.runs, ...later.runs].slice(-RUNS_KEPT_PER_PROCESS) };
}

/** One change: a state, with the run it ended, if any. */
function changeOf(state: PersistedState, run: RunRecord | null): Held {
  return { state, runs: run ? [run] : [] };
}
