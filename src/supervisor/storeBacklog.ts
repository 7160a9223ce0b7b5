// What the store refused (a full or read-only disk) of changes that have happened on the node: each
// such process's state as it is now and its runs not yet written, held in memory and written again
// every few seconds until the disk takes them, so that a restart after the disk recovered knows of
// them. While anything is held, every write of the supervisor goes with it, in one transaction.
import type { RunRecord } from '../core/processModel.js';
import { StoreUnavailableError } from '../errors/sigmaErrors.js';
import { RUNS_KEPT_PER_PROCESS, type HeldState, type PersistedState, type ProcessStore } from '../runtime/sqliteStore.js';
import type { SupervisorLogger } from './supervisor.js';

export const STORE_RETRY_MS = 1000;

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
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: StoreBacklogOptions) {}

  holds(processId: number): boolean {
    return this.held.has(processId);
  }

  /** Writes a process's new state (and its run) with whatever is held; throws, holding nothing new, if the store refuses. */
  write(processId: number, state: PersistedState, run: RunRecord | null): void {
    if (this.held.size === 0) {
      this.options.store.saveState(processId, state, run, 'background');
      return;
    }
    const merged = new Map(this.held);
    merged.set(processId, withChange(this.held.get(processId), state, run));
    this.writeAll(merged);
  }

  /** Holds a change the store refused, to be written once it can be. */
  hold(processId: number, state: PersistedState, run: RunRecord | null, error: unknown): void {
    if (this.held.size === 0) {
      this.options.logger.error({ err: error }, 'the store refuses writes: changes are held in memory and written again every second until it takes them');
    }
    this.held.set(processId, withChange(this.held.get(processId), state, run));
    this.timer ??= setInterval(() => this.flush(), STORE_RETRY_MS).unref();
  }

  /** A deleted process: nothing of it is to be written any more. */
  forget(processId: number): void {
    this.held.delete(processId);
    if (this.held.size === 0) this.stopRetrying();
  }

  /** Tries to write everything held now; answers whether nothing is held any more. */
  flush(): boolean {
    if (this.held.size === 0) return true;
    try {
      this.writeAll(new Map(this.held));
      return true;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) this.options.logger.error({ err: error }, 'could not write the changes held in memory');
      return false;
    }
  }

  /** At shutdown: a last try, and what is lost is named. */
  close(): void {
    this.stopRetrying();
    if (!this.flush()) {
      this.options.logger.error({ processIds: [...this.held.keys()] }, 'the store still refuses writes: the changes held for these processes are lost with this daemon');
    }
  }

  private writeAll(all: Map<number, Held>): void {
    const entries: HeldState[] = [...all].map(([processId, { state, runs }]) => ({ processId, state, runs }));
    this.options.store.saveHeld(entries);
    const wasHeld = this.held.size;
    this.held.clear();
    this.stopRetrying();
    if (wasHeld > 0) this.options.logger.info({ processes: wasHeld }, 'the store takes writes again: the changes held in memory are written');
    this.options.onWritten(entries);
  }

  private stopRetrying(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function withChange(held: Held | undefined, state: PersistedState, run: RunRecord | null): Held {
  const runs = run ? [...(held?.runs ?? []), run].slice(-RUNS_KEPT_PER_PROCESS) : (held?.runs ?? []);
  return { state, runs };
}
