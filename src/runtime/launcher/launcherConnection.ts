// The daemon's connection to its launcher: requests answered in order (each with its id),
// events pushed as they happen, the adoption state after HELLO, and the launcher's request that
// this daemon hand over to a new one.
import { connect, type Socket } from 'node:net';
import {
  decodePayload,
  encodeFrame,
  Field,
  FrameReader,
  MessageType,
  numberOf,
  PROTOCOL_VERSION,
  stringOf,
  type FieldList,
  type Message,
} from './launcherWire.js';

export class LauncherRequestError extends Error {
  constructor(
    readonly errno: number,
    readonly stage: number,
    message: string,
  ) {
    super(message);
  }
}

export class LauncherGoneError extends Error {
  constructor() {
    super('the launcher connection is closed');
  }
}

/** What a launcher says when a daemon connects: who it is, and what it holds. */
export interface LauncherHello {
  readonly pid: number;
  readonly nodeId: string;
  readonly epoch: number;
  /** CLOCK_REALTIME minus CLOCK_MONOTONIC when it started, in ns: the node's clock anchor. */
  readonly anchorNs: number;
  readonly jobs: readonly Message[];
  readonly arms: readonly Message[];
  readonly events: readonly Message[];
}

export interface LauncherConnectionEvents {
  onEvent(message: Message): void;
  onReplaceRequested(): void;
  onClose(error: Error | null): void;
}

interface Pending {
  resolve(message: Message): void;
  reject(error: Error): void;
}

export class LauncherConnection {
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private nextReqId = 1;
  private closed = false;
  private resolveClosed: () => void = () => {};
  /** Settles once the connection is closed (by either side). */
  readonly whenClosed: Promise<void> = new Promise((resolve) => (this.resolveClosed = resolve));
  private helloState: { jobs: Message[]; arms: Message[]; events: Message[]; reply: Message | null; done: () => void } | null = null;
  private readonly listeners: Partial<LauncherConnectionEvents> = {};
  /** What arrived before a listener of its kind was set (events after the adoption state, a replacement request). */
  private early: Array<{ readonly kind: keyof LauncherConnectionEvents; readonly deliver: () => void }> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.close(error));
    socket.on('close', () => this.close(null));
  }

  /** Connects to the socket; rejects with the OS error (ENOENT, ECONNREFUSED) when nobody listens. */
  static open(path: string): Promise<LauncherConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const fail = (error: Error): void => reject(error);
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.setNoDelay?.(true);
        resolve(new LauncherConnection(socket));
      });
    });
  }

  /**
   * Sets the listeners given (the host takes events; the daemon, replacement requests and the
   * close). What arrived before a listener of its kind was set is told to it then.
   */
  listen(listeners: Partial<LauncherConnectionEvents>): void {
    for (const [kind, listener] of Object.entries(listeners) as Array<[keyof LauncherConnectionEvents, never]>) {
      this.listeners[kind] = listener;
      const waiting = this.early.filter((entry) => entry.kind === kind);
      this.early = this.early.filter((entry) => entry.kind !== kind);
      for (const entry of waiting) entry.deliver();
    }
  }

  private tell<K extends keyof LauncherConnectionEvents>(kind: K, ...args: Parameters<LauncherConnectionEvents[K]>): void {
    const listener = this.listeners[kind] as ((...values: Parameters<LauncherConnectionEvents[K]>) => void) | undefined;
    if (listener) listener(...args);
    else this.early.push({ kind, deliver: () => (this.listeners[kind] as (...values: Parameters<LauncherConnectionEvents[K]>) => void)(...args) });
  }

  /** HELLO, then everything the launcher holds, up to its STATE_END. */
  async hello(nodeId: string, replace: boolean): Promise<LauncherHello> {
    const collected = { jobs: [] as Message[], arms: [] as Message[], events: [] as Message[], reply: null as Message | null };
    const finished = new Promise<void>((resolve) => {
      this.helloState = { ...collected, done: resolve };
    });
    const state = this.helloState as NonNullable<typeof this.helloState>;
    const reply = await this.request(MessageType.HELLO, [
      [Field.VERSION, PROTOCOL_VERSION],
      [Field.NODE_ID, nodeId],
      [Field.REPLACE, replace],
    ]);
    await finished;
    this.helloState = null;
    return {
      pid: numberOf(reply, Field.PID) ?? 0,
      nodeId: stringOf(reply, Field.NODE_ID) ?? '',
      epoch: numberOf(reply, Field.EPOCH) ?? 0,
      anchorNs: Number(BigInt.asIntN(64, (reply.fields.get(Field.ANCHOR_NS)?.[0] as bigint | undefined) ?? 0n)),
      jobs: state.jobs,
      arms: state.arms,
      events: state.events,
    };
  }

  /** Sends a request and resolves with its reply; a reply with a non-zero status rejects. */
  request(type: number, fields: FieldList): Promise<Message> {
    if (this.closed) return Promise.reject(new LauncherGoneError());
    const reqId = this.nextReqId++;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject });
      this.socket.write(encodeFrame(type, [[Field.REQ_ID, reqId], ...fields]));
    });
  }

  /** Messages that have no reply (ACK), in one write. */
  send(type: number, messages: readonly FieldList[]): void {
    if (this.closed || messages.length === 0) return;
    this.socket.write(messages.length === 1 ? encodeFrame(type, messages[0] as FieldList) : Buffer.concat(messages.map((fields) => encodeFrame(type, fields))));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes without telling the launcher anything (it keeps every job). */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private receive(chunk: Buffer): void {
    let payloads: Buffer[];
    try {
      payloads = this.reader.push(chunk);
    } catch (error) {
      this.socket.destroy();
      this.close(error as Error);
      return;
    }
    for (const payload of payloads) {
      let message: Message;
      try {
        message = decodePayload(payload);
      } catch (error) {
        this.socket.destroy();
        this.close(error as Error);
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    switch (message.type) {
      case MessageType.REPLY: {
        const reqId = numberOf(message, Field.REQ_ID) ?? 0;
        const pending = this.pending.get(reqId);
        if (!pending) return;
        this.pending.delete(reqId);
        const status = numberOf(message, Field.STATUS) ?? 0;
        if (status === 0) pending.resolve(message);
        else pending.reject(new LauncherRequestError(status, numberOf(message, Field.STAGE) ?? 0, stringOf(message, Field.MESSAGE) ?? ''));
        return;
      }
      case MessageType.STATE_JOB:
        this.helloState?.jobs.push(message);
        return;
      case MessageType.STATE_ARM:
        this.helloState?.arms.push(message);
        return;
      case MessageType.STATE_END:
        this.helloState?.done();
        return;
      case MessageType.EVENT:
        if (this.helloState) this.helloState.events.push(message);
        else this.tell('onEvent', message);
        return;
      case MessageType.REPLACE_REQUESTED:
        this.tell('onReplaceRequested');
        return;
      default:
        return;
    }
  }

  private close(error: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveClosed();
    for (const pending of this.pending.values()) pending.reject(error ?? new LauncherGoneError());
    this.pending.clear();
    this.helloState?.done();
    this.tell('onClose', error);
  }
}
