// One pair of log files per process (by id, since ids are never reused), under <data-dir>/logs.
// Each job writes through its own pair of writers, closed when its pipes end, so a process that
// is not running holds no file open.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingLogFile } from './rotatingLogFile.js';

export interface LogPair {
  readonly stdout: RotatingLogFile;
  readonly stderr: RotatingLogFile;
}

export class ProcessLogs {
  constructor(
    private readonly logsDir: string,
    private readonly maxBytes: number,
    private readonly onError: (processId: number, path: string, error: NodeJS.ErrnoException) => void,
  ) {}

  pathOf(processId: number, stream: 'stdout' | 'stderr'): string {
    return join(this.logsDir, `${processId}.${stream}.log`);
  }

  /** Writers for one job's output, appending to the process's files. */
  openPair(processId: number): LogPair {
    return { stdout: this.file(processId, 'stdout'), stderr: this.file(processId, 'stderr') };
  }

  /** Removes the files of a deleted process with their rotated copies. */
  remove(processId: number): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const path = this.pathOf(processId, stream);
      rmSync(path, { force: true });
      rmSync(`${path}.1`, { force: true });
    }
  }

  private file(processId: number, stream: 'stdout' | 'stderr'): RotatingLogFile {
    const path = this.pathOf(processId, stream);
    return new RotatingLogFile(path, this.maxBytes, (error) => this.onError(processId, path, error));
  }
}
