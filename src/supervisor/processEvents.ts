// What happened to the node's processes, in order: state changes, finished runs, creations,
// updates and deletions. A bounded buffer keeps the latest for clients that reconnect.
import type { ProcessDefinition } from '../core/processDefinition.js';
import type { DeadlineMiss } from '../core/decision.js';
import type { RunRecord, WireState } from '../core/processModel.js';
import type { ProcessReading } from './managedProcess.js';

export type ProcessEventBody =
  | { readonly type: 'state'; readonly from: WireState; readonly to: WireState; readonly reason: string }
  | { readonly type: 'run'; readonly run: RunRecord }
  | { readonly type: 'deadlineMissed'; readonly miss: DeadlineMiss }
  | { readonly type: 'created' | 'updated'; readonly reading: ProcessReading }
  | { readonly type: 'deleted' };

export type ProcessEvent = ProcessEventBody & {
  /** Increasing, also across restarts of the daemon (see `firstEventId`). */
  readonly id: number;
  readonly processId: number;
  readonly name: string;
  readonly partition: string;
  readonly atMs: number;
};

/** The process an event is about. */
export type EventSubject = Pick<ProcessDefinition, 'id' | 'name' | 'partition'>;

export type EventListener = (event: ProcessEvent) => void;

/** What a reconnecting client missed: the events after its last id, and whether some are gone. */
export interface EventsSince {
  readonly events: readonly ProcessEvent[];
  readonly gap: boolean;
}

export const EVENTS_KEPT = 1024;

/**
 * Ids of one boot start above every id of an earlier boot: a thousand per millisecond of wall
 * time since the epoch, far more than a daemon emits, and still exact in a double; and above
 * every id an earlier boot reserved (`reservedBelow`), should the wall clock have been set back.
 */
export function firstEventId(bootWallMs: number, reservedBelow = 0): number {
  return Math.max(Math.floor(bootWallMs) * 1000, reservedBelow);
}

/** How many ids one reservation covers (one store write per so many events). */
export const EVENT_IDS_RESERVED = 1_000_000;

export class ProcessEvents {
  /** A ring: the event with id `i` sits at `i % capacity` while it is kept. */
  private readonly kept: (ProcessEvent | undefined)[];
  private readonly listeners = new Set<EventListener>();
  private lastId: number;
  /** Every id given is below this (see `reserveIds`). */
  private reservedBelow: number;

  constructor(
    private readonly firstId: number,
    /** A listener that throws must not break the step that emitted the event. */
    private readonly onListenerError: (error: unknown) => void,
    private readonly capacity = EVENTS_KEPT,
    /**
     * Records that no id below `belowId` will be given by a later boot (the store keeps it), so
     * that ids increase across restarts even when the wall clock is set back between them.
     */
    private readonly reserveIds: ((belowId: number) => void) | null = null,
  ) {
    this.lastId = firstId - 1;
    this.reservedBelow = firstId;
    this.kept = new Array<ProcessEvent | undefined>(capacity);
  }

  emit(subject: EventSubject, atMs: number, body: ProcessEventBody): void {
    this.lastId += 1;
    if (this.reserveIds && this.lastId >= this.reservedBelow) {
      this.reservedBelow = this.lastId + EVENT_IDS_RESERVED;
      this.reserveIds(this.reservedBelow);
    }
    const event: ProcessEvent = { ...body, id: this.lastId, processId: subject.id, name: subject.name, partition: subject.partition, atMs };
    this.kept[this.lastId % this.capacity] = event;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The kept events after `lastSeenId`; `gap` when some after it are no longer kept, or when the
   * client has seen an id this daemon never gave (its clock was ahead at an earlier boot).
   */
  since(lastSeenId: number): EventsSince {
    const oldestKeptId = Math.max(this.firstId, this.lastId - this.capacity + 1);
    const fromId = Math.max(oldestKeptId, Math.floor(lastSeenId) + 1);
    const events: ProcessEvent[] = [];
    for (let id = fromId; id <= this.lastId; id += 1) events.push(this.kept[id % this.capacity] as ProcessEvent);
    return { events, gap: lastSeenId < oldestKeptId - 1 || lastSeenId > this.lastId };
  }

  get latestId(): number {
    return this.lastId;
  }
}
