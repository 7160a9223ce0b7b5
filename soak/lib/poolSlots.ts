// What the clients know of the ONE_SHOT pool: which id holds each name slot, which creates and
// deletes are under way, and which ids have been deleted, so that a 409 or a 404 is accepted
// only where another client's request explains it.

interface Slot {
  id: number | null;
  creating: number;
  deleting: number;
}

export class PoolSlots {
  private readonly slots: Slot[];
  private readonly deletesSent = new Map<number, number>();

  constructor(size: number) {
    this.slots = Array.from({ length: size }, () => ({ id: null, creating: 0, deleting: 0 }));
  }

  get size(): number {
    return this.slots.length;
  }

  idAt(slot: number): number | null {
    return this.slot(slot).id;
  }

  knownIds(): number[] {
    return this.slots.flatMap((slot) => (slot.id === null ? [] : [slot.id]));
  }

  /** Whether the name may be in use: a known process, or a create or delete under way. */
  mayBeTaken(slot: number, excludingOwnCreate: boolean): boolean {
    const s = this.slot(slot);
    return s.id !== null || s.creating > (excludingOwnCreate ? 1 : 0) || s.deleting > 0;
  }

  createSent(slot: number): void {
    this.slot(slot).creating += 1;
  }

  createAnswered(slot: number, createdId: number | null): void {
    const s = this.slot(slot);
    s.creating -= 1;
    if (createdId !== null) s.id = createdId;
  }

  deleteSent(slot: number, id: number): void {
    this.slot(slot).deleting += 1;
    this.deletesSent.set(id, (this.deletesSent.get(id) ?? 0) + 1);
  }

  deleteAnswered(slot: number, id: number): void {
    const s = this.slot(slot);
    s.deleting -= 1;
    if (s.id === id) s.id = null;
  }

  /** How many DELETEs of this id were sent (a 404 for it is then an expected answer). */
  deletesOf(id: number): number {
    return this.deletesSent.get(id) ?? 0;
  }

  private slot(index: number): Slot {
    const slot = this.slots[index];
    if (!slot) throw new Error(`no pool slot ${index}`);
    return slot;
  }
}
