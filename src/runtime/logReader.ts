// Reads a job's log as kept on disk (the rotated copy, then the current file): all of it or its
// last lines, and then, when asked, what is written to it afterwards, across rotations.
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const CHUNK_BYTES = 64 * 1024;
/** The most of a log a `tail` reads back through. */
export const TAIL_SCAN_BYTES = 4 * 1024 * 1024;
const FOLLOW_POLL_MS = 200;
const NEWLINE = 0x0a;
/** A log is never read through a link: one planted there shows as no log. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

export interface LogReadOptions {
  /** The current file; its rotated copy is `<path>.1`. */
  readonly path: string;
  /** Only the last lines; null for everything kept. */
  readonly tailLines: number | null;
  /** Go on with what is written later, until `signal` aborts. */
  readonly follow: boolean;
  readonly signal: AbortSignal;
}

export async function* readLog({ path, tailLines, follow, signal }: LogReadOptions): AsyncGenerator<Buffer> {
  // Everything up to this size of the current file is the past; the rest is followed.
  const currentSize = (await lstat(path).catch(() => null))?.size ?? 0;
  const parts = [
    { path: `${path}.1`, endOffset: Number.MAX_SAFE_INTEGER },
    { path, endOffset: currentSize },
  ];
  if (tailLines === null) {
    for (const part of parts) yield* readRange(part.path, 0, part.endOffset);
  } else {
    const tail = await lastLines(parts, tailLines);
    if (tail.length > 0) yield tail;
  }
  if (follow) yield* followFile(path, currentSize, signal);
}

async function* readRange(path: string, fromOffset: number, endOffset: number): AsyncGenerator<Buffer> {
  const file = await open(path, READ_FLAGS).catch(() => null);
  if (!file) return;
  try {
    let offset = fromOffset;
    while (offset < endOffset) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, endOffset - offset));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/**
 * The last `count` lines of the parts (oldest part first), read backwards from the end, looking
 * at no more than TAIL_SCAN_BYTES: a log without newlines cannot make one answer hold both files.
 */
async function lastLines(parts: readonly { path: string; endOffset: number }[], count: number): Promise<Buffer> {
  if (count === 0) return Buffer.alloc(0);
  const pieces: Buffer[] = [];
  let scannedBytes = 0;
  let newlines = 0;
  let endsWithNewline: boolean | null = null;
  // One newline more than lines wanted marks where the first wanted line begins.
  const enough = (): boolean => newlines - (endsWithNewline ? 1 : 0) >= count || scannedBytes >= TAIL_SCAN_BYTES;
  for (const part of [...parts].reverse()) {
    if (enough()) break;
    const file = await open(part.path, READ_FLAGS).catch(() => null);
    if (!file) continue;
    try {
      let position = Math.min((await file.stat()).size, part.endOffset);
      while (position > 0 && !enough()) {
        const size = Math.min(CHUNK_BYTES, position, TAIL_SCAN_BYTES - scannedBytes);
        position -= size;
        const buffer = Buffer.allocUnsafe(size);
        const { bytesRead } = await file.read(buffer, 0, size, position);
        const piece = buffer.subarray(0, bytesRead);
        endsWithNewline ??= piece[piece.length - 1] === NEWLINE;
        pieces.unshift(piece);
        scannedBytes += bytesRead;
        for (const byte of piece) if (byte === NEWLINE) newlines += 1;
      }
    } finally {
      await file.close();
    }
  }
  const all = Buffer.concat(pieces);
  // Walk back over `count` line ends, the last one (if the output ends with one) aside.
  let searchEnd = all.length - (endsWithNewline ? 1 : 0);
  for (let found = 0; found < count; found += 1) {
    const newline = searchEnd > 0 ? all.lastIndexOf(NEWLINE, searchEnd - 1) : -1;
    if (newline === -1) {
      // Fewer lines than asked: all of them, unless the scan stopped inside a line.
      if (scannedBytes < TAIL_SCAN_BYTES) return all;
      const firstNewline = all.indexOf(NEWLINE);
      return firstNewline === -1 || firstNewline === all.length - 1 ? all : all.subarray(firstNewline + 1);
    }
    searchEnd = newline;
  }
  return all.subarray(searchEnd + 1);
}

/**
 * New bytes of the file from `fromOffset` on. When the file is rotated (renamed to `.1` and
 * begun anew), the rest of the old one is read before the new one.
 */
async function* followFile(path: string, fromOffset: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  let file: FileHandle | null = null;
  let inode = -1;
  let offset = fromOffset;
  try {
    while (!signal.aborted) {
      if (!file) {
        file = await open(path, READ_FLAGS).catch(() => null);
        if (file) {
          const opened = await file.stat();
          inode = opened.ino;
          if (opened.size < offset) offset = 0;
        }
      }
      if (file) {
        const chunk = await readFrom(file, offset);
        if (chunk) {
          offset += chunk.length;
          yield chunk;
          continue;
        }
        const now = await lstat(path).catch(() => null);
        if (now && now.ino !== inode) {
          // Rotated: drain what was written to the old file before the rename.
          for (let rest = await readFrom(file, offset); rest; rest = await readFrom(file, offset)) {
            offset += rest.length;
            yield rest;
          }
          await file.close();
          file = null;
          offset = 0;
          continue;
        }
        if (now && now.size < offset) offset = 0;
      }
      await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await file?.close();
  }
}

async function readFrom(file: FileHandle, offset: number): Promise<Buffer | null> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, offset);
  return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
}
