// Release timers on absolute deadlines. Two waiters:
// - 'eventLoop' (the default): setTimeout, re-armed when it wakes early, so releases stay on the
//   grid whatever its rounding does; libuv counts whole milliseconds, so a release is decided up to
//   about a millisecond late.
// - 'thread': one worker thread sleeps until the earliest deadline with a sub-millisecond timed wait
//   (Atomics.wait) and wakes the event loop, which then releases: late by tens of microseconds, for
//   one more thread (a few MB) and two thread wake-ups per release. If the thread fails, its
//   deadlines go back to the event loop.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Clock } from './clock.js';

export type ReleaseWaiter = 'eventLoop' | 'thread';

export const RELEASE_WAITERS: readonly ReleaseWaiter[] = ['eventLoop', 'thread'];

export interface ReleaseTimersOptions {
  readonly waiter?: ReleaseWaiter;
}

export class ReleaseTimers {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private waiter: ReleaseWaiter;
  private thread: WaiterThread | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onRelease: (processId: number) => void,
    options: ReleaseTimersOptions = {},
  ) {
    this.waiter = options.waiter ?? 'eventLoop';
  }

  arm(processId: number, atMs: number): void {
    this.cancel(processId);
    if (this.waiter === 'thread') {
      this.thread ??= new WaiterThread(this.clock, this.onRelease, (pending) => this.fallBackToEventLoop(pending));
      this.thread.arm(processId, atMs);
      return;
    }
    const fire = (): void => {
      const remainingMs = atMs - this.clock();
      if (remainingMs > 0) {
        this.timers.set(processId, setTimeout(fire, remainingMs));
        return;
      }
      this.timers.delete(processId);
      this.onRelease(processId);
    };
    this.timers.set(processId, setTimeout(fire, Math.max(0, atMs - this.clock())));
  }

  cancel(processId: number): void {
    const timer = this.timers.get(processId);
    if (timer) clearTimeout(timer);
    this.timers.delete(processId);
    this.thread?.cancel(processId);
  }

  cancelAll(): void {
    for (const processId of [...this.timers.keys()]) this.cancel(processId);
    this.thread?.close();
    this.thread = null;
  }

  private fallBackToEventLoop(pending: ReadonlyMap<number, number>): void {
    this.thread = null;
    this.waiter = 'eventLoop';
    for (const [processId, atMs] of pending) this.arm(processId, atMs);
  }
}

interface Deadline {
  readonly atMs: number;
  readonly generation: number;
}

/** The main thread's side of the waiter thread: what is armed, and the releases it reports. */
class WaiterThread {
  private readonly deadlines = new Map<number, Deadline>();
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Bumped at every message: a wait that begins after a message has been sent ends at once. */
  private readonly wakeCounter = new Int32Array(new SharedArrayBuffer(4));
  /** Where the worker's current wait ends (monotonic ms), written by the worker before it waits. */
  private readonly waitingUntil = new Float64Array(new SharedArrayBuffer(8));
  private generation = 0;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    onRelease: (processId: number) => void,
    onFailure: (pending: ReadonlyMap<number, number>) => void,
  ) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(WAITER_SOURCE, {
      eval: true,
      workerData: { wakeCounter: this.wakeCounter.buffer, waitingUntil: this.waitingUntil.buffer, port: channel.port2 },
      transferList: [channel.port2],
    });
    // The daemon's life is decided by its server and signals, never by this thread.
    this.worker.unref();
    this.worker.on('message', (due: Array<[number, number]>) => {
      for (const [processId, generation] of due) {
        if (this.deadlines.get(processId)?.generation !== generation) continue;
        this.deadlines.delete(processId);
        onRelease(processId);
      }
    });
    const fail = (): void => {
      if (this.closed) return;
      this.closed = true;
      const pending = new Map([...this.deadlines].map(([processId, deadline]) => [processId, deadline.atMs]));
      this.deadlines.clear();
      onFailure(pending);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  arm(processId: number, atMs: number): void {
    this.generation += 1;
    this.deadlines.set(processId, { atMs, generation: this.generation });
    // The worker waits on the monotonic clock both threads share (hrtime), not on this clock.
    const atMonotonicMs = Number(process.hrtime.bigint()) / 1e6 + (atMs - this.clock());
    this.send({ kind: 'arm', processId, generation: this.generation, atMonotonicMs }, atMonotonicMs < (this.waitingUntil[0] as number));
  }

  cancel(processId: number): void {
    if (!this.deadlines.delete(processId)) return;
    // A cancelled deadline that surfaces costs one early wake-up, cheaper than waking the worker now.
    this.send({ kind: 'cancel', processId }, false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.clear();
    this.send({ kind: 'close' }, true);
    void this.worker.terminate();
  }

  /**
   * The worker reads messages whenever it wakes; it is woken now only when the message cannot wait
   * for its current wait to end (a deadline earlier than that end).
   */
  private send(message: object, wakeNow: boolean): void {
    this.port.postMessage(message);
    Atomics.add(this.wakeCounter, 0, 1);
    if (wakeNow) Atomics.notify(this.wakeCounter, 0);
  }
}

/**
 * The worker: a min-heap of deadlines (cancelled or re-armed entries are dropped when they surface),
 * messages read synchronously between waits, due releases posted to the main thread in one batch.
 */
const WAITER_SOURCE = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const wakeCounter = new Int32Array(workerData.wakeCounter);
const waitingUntil = new Float64Array(workerData.waitingUntil);
const port = workerData.port;
const heap = [];
const current = new Map();
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
function push(entry) {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent].atMs <= entry.atMs) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = entry;
}
function pop() {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1].atMs < heap[left].atMs ? left + 1 : left;
      if (heap[child].atMs >= last.atMs) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
  return top;
}
for (;;) {
  const seen = Atomics.load(wakeCounter, 0);
  let received;
  let closing = false;
  while ((received = receiveMessageOnPort(port)) !== undefined) {
    const message = received.message;
    if (message.kind === 'arm') {
      current.set(message.processId, message.generation);
      push({ processId: message.processId, generation: message.generation, atMs: message.atMonotonicMs });
    } else if (message.kind === 'cancel') {
      current.delete(message.processId);
    } else {
      closing = true;
    }
  }
  if (closing) break;
  const now = nowMs();
  const due = [];
  while (heap.length > 0 && (heap[0].atMs <= now || current.get(heap[0].processId) !== heap[0].generation)) {
    const entry = pop();
    if (current.get(entry.processId) !== entry.generation) continue;
    current.delete(entry.processId);
    due.push([entry.processId, entry.generation]);
  }
  if (due.length > 0) parentPort.postMessage(due);
  const untilMs = heap.length > 0 ? heap[0].atMs : Infinity;
  waitingUntil[0] = untilMs;
  const waitMs = untilMs - nowMs();
  if (waitMs > 0) Atomics.wait(wakeCounter, 0, seen, waitMs);
}
`;
