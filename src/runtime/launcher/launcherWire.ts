// The daemon's side of the launcher's wire format (docs/launcher.md): frames of a 4-byte
// little-endian length and a payload; a payload is a message type byte and tagged fields, each a
// tag byte, a 4-byte length and the value (numbers: 8 bytes little-endian; strings: UTF-8 and a NUL).

export const PROTOCOL_VERSION = 3;
export const MAX_FRAME_BYTES = 24 << 20;

export const MessageType = {
  HELLO: 1,
  SPAWN: 2,
  ARM: 3,
  DISARM: 4,
  SIGNAL: 5,
  TERMINATE: 6,
  KILL: 7,
  ACK: 8,
  FORGET: 9,
  DETACH: 10,
  SHUTDOWN: 11,
  VOUCH: 12,
  REPLY: 64,
  EVENT: 65,
  STATE_JOB: 66,
  STATE_ARM: 67,
  STATE_END: 68,
  REPLACE_REQUESTED: 69,
} as const;

export const Field = {
  REQ_ID: 1,
  VERSION: 2,
  NODE_ID: 3,
  REPLACE: 4,
  PROCESS_ID: 5,
  ARG: 6,
  ENV: 7,
  CWD: 8,
  PROGRAM_DIR: 9,
  PROGRAM_NAME: 10,
  CG_PATH: 11,
  CG_HOME: 12,
  CG_FLAGS: 13,
  CG_NAME: 14,
  NEEDS_CGROUP: 15,
  LOG_STDOUT: 16,
  LOG_STDERR: 17,
  LOG_MAX_BYTES: 18,
  GRACE_MS: 19,
  RELEASE_AT_NS: 20,
  NICE: 21,
  T0_NS: 22,
  PERIOD_NS: 23,
  NEXT_INDEX: 24,
  AUTO: 25,
  JOB_ID: 26,
  SIGNO: 27,
  SEQ: 28,
  STATUS: 30,
  STAGE: 31,
  MESSAGE: 32,
  PID: 33,
  START_TICKS: 34,
  AT_NS: 35,
  KIND: 36,
  RELEASE_INDEX: 37,
  EXIT_CODE: 38,
  EXIT_SIGNAL: 39,
  OOM: 40,
  BY_LAUNCHER: 41,
  COUNT: 42,
  EPOCH: 43,
  ANCHOR_NS: 44,
  STOPPED: 45,
  OVERRUN: 46,
  SKIPPED_BEFORE: 47,
  STREAM: 48,
  ERROR: 49,
  IN_CGROUP: 50,
  REQUESTED: 51,
  STANDBY: 52,
  FENCE_MS: 53,
} as const;

/** The string fields; every other tag below 64 is a number. */
const STRING_FIELDS: ReadonlySet<number> = new Set([
  Field.NODE_ID,
  Field.ARG,
  Field.ENV,
  Field.CWD,
  Field.PROGRAM_DIR,
  Field.PROGRAM_NAME,
  Field.CG_PATH,
  Field.CG_HOME,
  Field.CG_NAME,
  Field.LOG_STDOUT,
  Field.LOG_STDERR,
  Field.MESSAGE,
  Field.ERROR,
]);

export const EventKind = { SPAWNED: 1, PASSED: 2, RELEASE_FAILED: 3, EXITED: 4, DUE: 5, OUTPUT: 6 } as const;

/** Where a spawn failed (the launcher's `enum spawn_stage`). */
export const SpawnStage = { NONE: 0, PROGRAM: 1, PIPE: 2, CGROUP: 3, CLONE: 4, CWD: 5, NICE: 6, EXEC: 7, BUSY: 8, TASK_LIMIT: 9 } as const;

export type FieldValue = bigint | string;

/** One field in the order it is sent; repeated tags are lists. */
export type FieldList = ReadonlyArray<readonly [number, FieldValue | number | boolean]>;

export interface Message {
  readonly type: number;
  readonly fields: ReadonlyMap<number, FieldValue[]>;
}

/** Encodes one frame. Numbers are sent as 64-bit two's complement; booleans as 0 or 1. */
export function encodeFrame(type: number, fields: FieldList): Buffer {
  const parts: Buffer[] = [];
  let length = 1;
  for (const [tag, value] of fields) {
    let bytes: Buffer;
    if (typeof value === 'string') {
      bytes = Buffer.from(`${value}\0`, 'utf8');
    } else {
      bytes = Buffer.alloc(8);
      const number = typeof value === 'boolean' ? (value ? 1n : 0n) : typeof value === 'number' ? BigInt(Math.trunc(value)) : value;
      bytes.writeBigUInt64LE(BigInt.asUintN(64, number));
    }
    const header = Buffer.alloc(5);
    header.writeUInt8(tag, 0);
    header.writeUInt32LE(bytes.length, 1);
    parts.push(header, bytes);
    length += 5 + bytes.length;
  }
  const head = Buffer.alloc(5);
  head.writeUInt32LE(length, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, ...parts], 4 + length);
}

export class WireError extends Error {}

/** Decodes one payload (without its length). Throws WireError on anything malformed. */
export function decodePayload(payload: Buffer): Message {
  if (payload.length < 1) throw new WireError('empty message');
  const type = payload.readUInt8(0);
  const fields = new Map<number, FieldValue[]>();
  let at = 1;
  while (at < payload.length) {
    if (payload.length - at < 5) throw new WireError('truncated field header');
    const tag = payload.readUInt8(at);
    const length = payload.readUInt32LE(at + 1);
    at += 5;
    if (length > payload.length - at) throw new WireError('field longer than the message');
    const value = payload.subarray(at, at + length);
    at += length;
    let decoded: FieldValue;
    if (STRING_FIELDS.has(tag)) {
      if (length === 0 || value[length - 1] !== 0) throw new WireError(`string field ${tag} is not NUL-terminated`);
      decoded = value.subarray(0, length - 1).toString('utf8');
    } else {
      if (length !== 8) continue;
      decoded = value.readBigUInt64LE(0);
    }
    const list = fields.get(tag);
    if (list) list.push(decoded);
    else fields.set(tag, [decoded]);
  }
  return { type, fields };
}

/** Reads frames out of a stream of chunks. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Every whole payload in what has arrived so far; throws WireError on a bad length. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const payloads: Buffer[] = [];
    let at = 0;
    while (this.pending.length - at >= 4) {
      const length = this.pending.readUInt32LE(at);
      if (length === 0 || length > MAX_FRAME_BYTES) throw new WireError(`a frame of ${length} bytes`);
      if (this.pending.length - at - 4 < length) break;
      payloads.push(this.pending.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
    return payloads;
  }
}

/** Readers of a decoded message's fields. */
export function numberOf(message: Message, tag: number): number | null {
  const value = message.fields.get(tag)?.[0];
  return typeof value === 'bigint' ? Number(value) : null;
}

export function signedOf(message: Message, tag: number): number | null {
  const value = message.fields.get(tag)?.[0];
  return typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : null;
}

export function stringOf(message: Message, tag: number): string | null {
  const value = message.fields.get(tag)?.[0];
  return typeof value === 'string' ? value : null;
}
