// A size-capped log file: past maxBytes the file becomes `<path>.1` and a new one begins.
// Memory stays bounded because the pipe from the job waits on each write.
import { closeSync, fstatSync, openSync, renameSync, write } from 'node:fs';
import { Writable } from 'node:stream';

export class RotatingLogFile extends Writable {
  private fd: number | null = null;
  private sizeBytes = 0;
  private lastErrorCode: string | null = null;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly onError: (error: NodeJS.ErrnoException) => void,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // When the chunk does not fit, the lines that do fit end the current file, so that a
    // rotation falls between two lines wherever the output has them.
    const room = this.maxBytes - this.currentSize();
    const cut = chunk.length <= room ? chunk.length : room > 0 ? chunk.lastIndexOf(0x0a, room - 1) + 1 : 0;
    if (cut <= 0 || cut >= chunk.length) {
      this.append(chunk, callback);
      return;
    }
    this.append(chunk.subarray(0, cut), () => this.append(chunk.subarray(cut), callback));
  }

  /** Writes one piece, rotating first if it would take the file past its cap. */
  private append(piece: Buffer, callback: () => void): void {
    try {
      this.rotateIfFull(piece.length);
      const fd = this.open();
      write(fd, piece, 0, piece.length, null, (error) => {
        if (error) {
          this.report(error);
        } else {
          this.sizeBytes += piece.length;
          this.lastErrorCode = null;
        }
        // A failed write drops the piece: the job keeps running and its pipe keeps draining.
        callback();
      });
    } catch (error) {
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

  override _final(callback: (error?: Error | null) => void): void {
    this.closeFd();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.closeFd();
    callback(error);
  }

  private open(): number {
    if (this.fd === null) {
      this.fd = openSync(this.path, 'a', 0o600);
      this.sizeBytes = fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private rotateIfFull(incomingBytes: number): void {
    this.open();
    if (this.sizeBytes === 0 || this.sizeBytes + incomingBytes <= this.maxBytes) return;
    this.closeFd();
    renameSync(this.path, `${this.path}.1`);
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
