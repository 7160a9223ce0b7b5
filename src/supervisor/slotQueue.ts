// The node's running slots (`--max-running`) and the first-come-first-served queue of READY
// processes waiting for one.
import { holdsSlot, type Runtime } from '../core/processModel.js';

export class SlotQueue {
  private held = 0;
  private reserved = 0;
  private readonly waiting = new Set<number>();
  private readonly granting = new Set<number>();

  constructor(private readonly maxRunning: number | null) {}

  /** Whether processId may take a slot now without jumping the queue. */
  isFreeFor(processId: number): boolean {
    if (this.maxRunning === null) return true;
    if (this.held + this.reserved >= this.maxRunning) return false;
    const head = this.waiting.values().next();
    return head.done === true || head.value === processId;
  }

  /** Follows a process's transition: whether it holds a slot and whether it waits in READY. */
  track(processId: number, before: Runtime, after: Runtime): void {
    this.held += Number(holdsSlot(after)) - Number(holdsSlot(before));
    const readyBefore = before.phase === 'READY';
    const readyAfter = after.phase === 'READY';
    if (readyAfter && !readyBefore) this.waiting.add(processId);
    if (readyBefore && !readyAfter) this.waiting.delete(processId);
  }

  /** The next READY processes to hand a slot to; each must later be passed to `granted`. */
  takeGrants(): number[] {
    const grants: number[] = [];
    for (const processId of this.waiting) {
      if (this.maxRunning !== null && this.held + this.reserved >= this.maxRunning) break;
      if (this.granting.has(processId)) continue;
      this.granting.add(processId);
      this.reserved += 1;
      grants.push(processId);
    }
    return grants;
  }

  /** A grant taken by takeGrants was applied (or found nothing to do). */
  granted(processId: number): void {
    if (!this.granting.delete(processId)) return;
    this.reserved -= 1;
  }
}
