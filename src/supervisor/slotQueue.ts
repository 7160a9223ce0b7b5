// Running slots: the node's (`--max-running`) and each partition's (`maxRunning`), and the
// first-come-first-served queue of READY processes waiting for one. A job needs a slot of both.
// A waiter held back only by its own partition's slots holds back nobody of another partition.
import { holdsSlot, type Runtime } from '../core/processModel.js';

export interface SlotLimits {
  readonly nodeMaxRunning: number | null;
  partitionOf(processId: number): string;
  /** Read at every decision: a partition's limit may change while jobs wait. */
  partitionMaxRunning(partition: string): number | null;
}

/** Slots taken, node-wide and per partition, while deciding who may go. */
class SlotCount {
  node = 0;
  private readonly perPartition = new Map<string, number>();

  of(partition: string): number {
    return this.perPartition.get(partition) ?? 0;
  }

  add(partition: string, delta: number): void {
    this.node += delta;
    const count = this.of(partition) + delta;
    if (count === 0) this.perPartition.delete(partition);
    else this.perPartition.set(partition, count);
  }

  copy(): SlotCount {
    const copy = new SlotCount();
    copy.node = this.node;
    for (const [partition, count] of this.perPartition) copy.perPartition.set(partition, count);
    return copy;
  }
}

export class SlotQueue {
  /** Held by jobs, and reserved by grants under way. */
  private readonly taken = new SlotCount();
  private readonly waiting = new Set<number>();
  /** Grants under way, with the partition each reserved its slot in. */
  private readonly granting = new Map<number, string>();

  constructor(private readonly limits: SlotLimits) {}

  /** Whether processId may take a slot now without going before a waiter that could take it. */
  isFreeFor(processId: number): boolean {
    if (this.waiting.size === 0) return this.fits(processId, this.taken);
    // Those ahead of it that could go take their slots first.
    const after = this.taken.copy();
    for (const waiter of this.waiting) {
      if (waiter === processId) break;
      if (this.granting.has(waiter) || !this.fits(waiter, after)) continue;
      after.add(this.limits.partitionOf(waiter), 1);
    }
    return this.fits(processId, after);
  }

  /** Follows a process's transition: whether it holds a slot and whether it waits in READY. */
  track(processId: number, before: Runtime, after: Runtime): void {
    const delta = Number(holdsSlot(after)) - Number(holdsSlot(before));
    if (delta !== 0) this.taken.add(this.limits.partitionOf(processId), delta);
    const readyBefore = before.phase === 'READY';
    const readyAfter = after.phase === 'READY';
    if (readyAfter && !readyBefore) this.waiting.add(processId);
    if (readyBefore && !readyAfter) this.waiting.delete(processId);
  }

  /** The next READY processes to hand a slot to, in order; each must later be passed to `granted`. */
  takeGrants(): number[] {
    const grants: number[] = [];
    const { nodeMaxRunning } = this.limits;
    for (const processId of this.waiting) {
      if (nodeMaxRunning !== null && this.taken.node >= nodeMaxRunning) break;
      if (this.granting.has(processId) || !this.fits(processId, this.taken)) continue;
      const partition = this.limits.partitionOf(processId);
      this.granting.set(processId, partition);
      this.taken.add(partition, 1);
      grants.push(processId);
    }
    return grants;
  }

  /** A grant taken by takeGrants was applied (or found nothing to do). */
  granted(processId: number): void {
    const partition = this.granting.get(processId);
    if (partition === undefined) return;
    this.granting.delete(processId);
    this.taken.add(partition, -1);
  }

  private fits(processId: number, taken: SlotCount): boolean {
    const { nodeMaxRunning } = this.limits;
    if (nodeMaxRunning !== null && taken.node >= nodeMaxRunning) return false;
    const partition = this.limits.partitionOf(processId);
    const partitionMax = this.limits.partitionMaxRunning(partition);
    return partitionMax === null || taken.of(partition) < partitionMax;
  }
}
