// One pair of log files per process (by id, since ids are never reused), under <data-dir>/logs.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingLogFile } from './rotatingLogFile.js';

export interface LogPair {
  readonly stdout: RotatingLogFile;
  readonly stderr: RotatingLogFile;
}

export class ProcessLogs {
  private readonly pairs = new Map<number, LogPair>();

  constructor(
    private readonly logsDir: string,
    private readonly maxBytes: number,
    private readonly onError: (processId: number, path: string, error: NodeJS.ErrnoException) => void,
  ) {}

  pathOf(processId: number, stream: 'stdout' | 'stderr'): string {
    return join(this.logsDir, `${processId}.${stream}.log`);
  }

  pairFor(processId: number): LogPair {
    let pair = this.pairs.get(processId);
    if (!pair) {
      pair = { stdout: this.file(processId, 'stdout'), stderr: this.file(processId, 'stderr') };
      this.pairs.set(processId, pair);
    }
    return pair;
  }

  /** Closes the files of a deleted process and removes them with their rotated copies. */
  remove(processId: number): void {
    this.close(processId);
    for (const stream of ['stdout', 'stderr'] as const) {
      const path = this.pathOf(processId, stream);
      rmSync(path, { force: true });
      rmSync(`${path}.1`, { force: true });
    }
  }

  closeAll(): void {
    for (const processId of [...this.pairs.keys()]) this.close(processId);
  }

  private close(processId: number): void {
    const pair = this.pairs.get(processId);
    if (!pair) return;
    this.pairs.delete(processId);
    pair.stdout.destroy();
    pair.stderr.destroy();
  }

  private file(processId: number, stream: 'stdout' | 'stderr'): RotatingLogFile {
    const path = this.pathOf(processId, stream);
    return new RotatingLogFile(path, this.maxBytes, (error) => this.onError(processId, path, error));
  }
}
