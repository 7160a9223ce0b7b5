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
    try {
      this.rotateIfFull(chunk.length);
      const fd = this.open();
      write(fd, chunk, 0, chunk.length, null, (error) => {
        if (error) this.report(error);
        else this.sizeBytes += chunk.length;
        // A failed write drops the chunk: the job keeps running and its pipe keeps draining.
        callback();
      });
    } catch (error) {
      this.report(error as NodeJS.ErrnoException);
      callback();
    }
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
