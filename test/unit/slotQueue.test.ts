// Running slots of the node and of each partition: who may go now, and who is handed a freed slot.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/core/processModel.js';
import { SlotQueue } from '../../src/supervisor/slotQueue.js';

const DORMANT: Runtime = { phase: 'DORMANT' };
const READY: Runtime = { phase: 'READY', grid: null, releaseAtMs: null, heldJob: null };
const RUNNING: Runtime = { phase: 'RUNNING', grid: null, job: { pid: 1, startedAtMs: 0, releaseAtMs: null } };

/** Processes named `<partition><n>` (a1, b2, ...), started and stopped as the supervisor does. */
class Node {
  readonly partitionMax = new Map<string, number>();
  readonly queue: SlotQueue;
  private readonly phases = new Map<string, Runtime>();
  private readonly ids = new Map<string, number>();

  constructor(nodeMaxRunning: number | null) {
    this.queue = new SlotQueue({
      nodeMaxRunning,
      partitionOf: (id) => (this.nameOf(id) ?? '?').charAt(0),
      partitionMaxRunning: (partition) => this.partitionMax.get(partition) ?? null,
    });
  }

  /** START: RUNNING if a slot is free for it, else READY. */
  start(name: string): Runtime['phase'] {
    const id = this.idOf(name);
    this.move(name, this.queue.isFreeFor(id) ? RUNNING : READY);
    return this.phaseOf(name);
  }

  stop(name: string): void {
    this.move(name, DORMANT);
  }

  /** Hands the freed slots as the supervisor does; answers who got one. */
  grant(): string[] {
    const granted = this.queue.takeGrants().map((id) => this.nameOf(id) as string);
    for (const name of granted) {
      this.queue.granted(this.idOf(name));
      this.move(name, RUNNING);
    }
    return granted;
  }

  phaseOf(name: string): Runtime['phase'] {
    return (this.phases.get(name) ?? DORMANT).phase;
  }

  idOf(name: string): number {
    if (!this.ids.has(name)) this.ids.set(name, this.ids.size + 1);
    return this.ids.get(name) as number;
  }

  private nameOf(id: number): string | undefined {
    return [...this.ids].find(([, known]) => known === id)?.[0];
  }

  private move(name: string, to: Runtime): void {
    this.queue.track(this.idOf(name), this.phases.get(name) ?? DORMANT, to);
    this.phases.set(name, to);
  }
}

describe('SlotQueue', () => {
  it('runs maxRunning of a partition and queues the rest in order, serving each as a slot frees', () => {
    const node = new Node(null);
    node.partitionMax.set('a', 2);
    expect(['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => node.start(name))).toEqual(['RUNNING', 'RUNNING', 'READY', 'READY', 'READY']);
    node.stop('a1');
    expect(node.grant()).toEqual(['a3']);
    node.stop('a2');
    expect(node.grant()).toEqual(['a4']);
    expect(node.phaseOf('a5')).toBe('READY');
  });

  it('lets another partition run past a job held back only by its own partition', () => {
    const node = new Node(3);
    node.partitionMax.set('b', 1);
    expect([node.start('b1'), node.start('b2')]).toEqual(['RUNNING', 'READY']);
    expect(node.start('a1')).toBe('RUNNING');
    expect(node.grant()).toEqual([]);
  });

  it('serves the node\'s freed slot first come first served across partitions', () => {
    const node = new Node(1);
    expect([node.start('a1'), node.start('b1'), node.start('a2')]).toEqual(['RUNNING', 'READY', 'READY']);
    // a START does not jump the queue while the node has no slot for the first in it
    expect(node.start('c1')).toBe('READY');
    node.stop('a1');
    expect(node.grant()).toEqual(['b1']);
    node.stop('b1');
    expect(node.grant()).toEqual(['a2']);
  });

  it('does not let a START take the slot a waiting process of its partition is owed', () => {
    const node = new Node(null);
    node.partitionMax.set('a', 1);
    node.start('a1');
    node.start('a2');
    node.stop('a1');
    // a2 waits for the slot a1 freed; a3 comes after it
    expect(node.start('a3')).toBe('READY');
    expect(node.grant()).toEqual(['a2']);
  });

  it('hands the slots of a raised limit at once, and a lowered one stops nobody', () => {
    const node = new Node(null);
    node.partitionMax.set('a', 1);
    ['a1', 'a2', 'a3'].forEach((name) => node.start(name));
    node.partitionMax.set('a', 3);
    expect(node.grant()).toEqual(['a2', 'a3']);
    node.partitionMax.set('a', 1);
    expect(['a1', 'a2', 'a3'].map((name) => node.phaseOf(name))).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    node.stop('a1');
    expect(node.start('a4')).toBe('READY');
  });

  it('gives back the slot reserved for a grant whose process was deleted before it could use it', () => {
    const node = new Node(1);
    node.start('a1');
    node.start('a2');
    node.stop('a1');
    const [reserved] = node.queue.takeGrants();
    expect(reserved).toBe(node.idOf('a2'));
    expect(node.queue.isFreeFor(node.idOf('a9'))).toBe(false);
    // a2 is deleted: its READY ends (the supervisor tracks the STOP), and the grant finds nothing to do
    node.stop('a2');
    node.queue.granted(reserved as number);
    expect(node.start('a3')).toBe('RUNNING');
  });
});
