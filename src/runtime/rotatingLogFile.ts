// A size-capped log file: past maxBytes the file becomes `<path>.1` and a new one begins, between
// two lines wherever the output has them. One writer per file, so sizes and renames never race;
// its descriptor is closed while no job writes, and memory stays bounded because the pipe from
// the job waits on each write. Never written through a link, nor into anything but a regular file.
import { closeSync, constants, fstatSync, openSync, renameSync, write } from 'node:fs';
import { Writable } from 'node:stream';

// O_NONBLOCK: a FIFO in the file's place fails at once instead of hanging the daemon.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class RotatingLogFile extends Writable {
  private fd: number | null = null;
  private sizeBytes = 0;
  private writing = false;
  private closeWhenIdle = true;
  private discarded = false;
  private lastErrorCode: string | null = null;
  /** Renamed away: whatever is found at the path now was not made by this writer. */
  private mustCreate = false;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly onError: (error: NodeJS.ErrnoException) => void,
    /** Called when a write succeeds again after an error. */
    private readonly onRecovered: () => void = () => {},
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  /** A job is about to write: keep the file open between writes. */
  hold(): void {
    this.closeWhenIdle = false;
  }

  /** No job writes any more: close the file once what is queued is written. */
  release(): void {
    this.closeWhenIdle = true;
    this.closeIfIdle();
  }

  /** The process is gone: drop whatever still arrives and never reopen the file. */
  discard(): void {
    this.discarded = true;
    this.release();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.discarded) {
      callback();
      return;
    }
    const room = this.maxBytes - this.currentSize();
    const cut = chunk.length <= room ? chunk.length : room > 0 ? chunk.lastIndexOf(0x0a, room - 1) + 1 : 0;
    const done = (): void => {
      callback();
      // After the stream has taken the next queued chunk, if any.
      process.nextTick(() => this.closeIfIdle());
    };
    if (cut <= 0 || cut >= chunk.length) this.append(chunk, done);
    else this.append(chunk.subarray(0, cut), () => this.append(chunk.subarray(cut), done));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFd();
    callback();
  }

  /** Writes one piece whole (a short write continues), rotating first if it would not fit. */
  private append(piece: Buffer, callback: () => void): void {
    try {
      this.rotateIfFull(piece.length);
      const fd = this.open();
      this.writing = true;
      const writeFrom = (offset: number): void => {
        write(fd, piece, offset, piece.length - offset, null, (error, written) => {
          if (!error && offset + written < piece.length) {
            this.sizeBytes += written;
            writeFrom(offset + written);
            return;
          }
          this.writing = false;
          if (error) {
            this.report(error);
          } else {
            this.sizeBytes += written;
            if (this.lastErrorCode !== null) this.onRecovered();
            this.lastErrorCode = null;
          }
          // A failed write drops the piece: the job keeps running and its pipe keeps draining.
          callback();
        });
      };
      writeFrom(0);
    } catch (error) {
      this.writing = false;
      this.report(error as NodeJS.ErrnoException);
      callback();
    }
  }

  private currentSize(): number {
    try {
      this.open();
    } catch {
      return 0;
    }
    return this.sizeBytes;
  }

  private open(): number {
    if (this.fd === null) {
      const fd = openSync(this.path, this.mustCreate ? APPEND_FLAGS | constants.O_EXCL : APPEND_FLAGS, 0o600);
      const status = fstatSync(fd);
      if (!status.isFile()) {
        closeSync(fd);
        throw Object.assign(new Error(`${this.path} is not a regular file`), { code: 'EINVAL' });
      }
      this.fd = fd;
      this.sizeBytes = status.size;
      this.mustCreate = false;
    }
    return this.fd;
  }

  private rotateIfFull(incomingBytes: number): void {
    this.open();
    if (this.sizeBytes === 0 || this.sizeBytes + incomingBytes <= this.maxBytes) return;
    this.closeFd();
    // A rename moves a link that is there, never what it points to.
    renameSync(this.path, `${this.path}.1`);
    this.mustCreate = true;
  }

  /** Never while a write is under way: its descriptor number could be reused by another file. */
  private closeIfIdle(): void {
    if (this.closeWhenIdle && !this.writing && this.writableLength === 0) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing left to flush.
    }
  }

  private report(error: NodeJS.ErrnoException): void {
    this.closeFd();
    const code = error.code ?? 'EIO';
    if (code !== this.lastErrorCode) this.onError(error);
    this.lastErrorCode = code;
  }
}
