// Makes the store's write-ahead log durable off the event loop: an fdatasync of the WAL file in
// libuv's thread pool, while the daemon goes on (an operation's job starts meanwhile). SQLite in
// WAL mode with `synchronous = NORMAL` writes each commit to the WAL without syncing it; syncing
// the file afterwards makes every commit written so far survive a power cut, as
// `synchronous = FULL` would have at the commit itself.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export class WalSync {
  private handle: Promise<FileHandle> | null = null;
  /** The sync running now, and the one that waits for it (shared by every caller meanwhile). */
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything written to the WAL before the call is on disk. */
  sync(): Promise<void> {
    // A sync already under way may have begun before the caller's write: the next one covers it.
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const queued = this.running.catch(() => undefined).then(() => {
      this.queued = null;
      return this.start();
    });
    this.queued = queued;
    return queued;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle) await (await handle).close().catch(() => undefined);
  }

  private start(): Promise<void> {
    const running = this.datasync().finally(() => {
      if (this.running === running) this.running = null;
    });
    this.running = running;
    return running;
  }

  private async datasync(): Promise<void> {
    this.handle ??= open(this.walPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await (await this.handle).datasync();
    } catch (error) {
      // Opened again at the next sync (the file may have been made anew).
      this.handle = null;
      throw error;
    }
  }
}
