// The relocatable processes this node ended because it was cut off from etcd (its own fence):
// kept in its store too, so that a daemon restarted before etcd answers again still starts them
// once it does, if the fleet did not move them meanwhile.
import type { Logger } from 'pino';

export interface FencedStore {
  fencedIds(): number[];
  setFencedIds(ids: readonly number[]): void;
}

export class FencedProcesses {
  private readonly ids: Set<number>;

  /** `held`: the relocatable processes the store holds now (those moved away while the node was down are gone). */
  constructor(
    private readonly store: FencedStore,
    held: readonly number[],
    private readonly logger: Logger,
  ) {
    const holds = new Set(held);
    this.ids = new Set(store.fencedIds().filter((id) => holds.has(id)));
  }

  get size(): number {
    return this.ids.size;
  }

  has(processId: number): boolean {
    return this.ids.has(processId);
  }

  values(): number[] {
    return [...this.ids];
  }

  add(processId: number): void {
    if (this.ids.has(processId)) return;
    this.ids.add(processId);
    this.save();
  }

  /** Whether it was fenced. */
  delete(processId: number): boolean {
    if (!this.ids.delete(processId)) return false;
    this.save();
    return true;
  }

  private save(): void {
    try {
      this.store.setFencedIds([...this.ids]);
    } catch (error) {
      this.logger.warn({ err: error, fenced: [...this.ids] }, 'the fenced processes could not be stored: a daemon restarted before etcd answers leaves them DORMANT');
    }
  }
}
