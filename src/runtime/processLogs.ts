// One pair of log files per process (by id, since ids are never reused), under <data-dir>/logs,
// each written by one long-lived writer that every job of the process pipes into.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { RotatingLogFile } from './rotatingLogFile.js';

/** Where one job's output goes; `release` once both of its pipes have ended. */
export interface JobOutput {
  readonly stdout: Writable;
  readonly stderr: Writable;
  release(): void;
}

/** Where a process's log of one stream is kept, whoever writes it (the daemon or the launcher). */
export function logPathOf(logsDir: string, processId: number, stream: 'stdout' | 'stderr'): string {
  return join(logsDir, `${processId}.${stream}.log`);
}

/** What sigma says of these failures, beyond the code. */
const WHY_NOT_WRITTEN: Readonly<Record<string, string>> = {
  ELOOP: 'it is a symbolic link, and sigma writes through none',
  EINVAL: 'it is not a regular file',
  EEXIST: 'a file took its place while it rotated',
};

/**
 * Why a log cannot be written, as the process's `outputError` says it, whoever writes the log;
 * `detail` is the system's own words, when known.
 */
export function logWriteError(path: string, code: string, detail: string | null): string {
  const why = WHY_NOT_WRITTEN[code] ?? detail;
  return `${code}: cannot write ${path}${why ? ` (${why})` : ''}; output is dropped until it can`;
}

/** Removes a process's log files and their rotated copies; answers what it had to leave (a directory put in a log's place stays). */
export function removeLogFiles(logsDir: string, processId: number): string[] {
  const left: string[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const path = logPathOf(logsDir, processId, stream);
    for (const file of [path, `${path}.1`]) {
      try {
        rmSync(file, { force: true });
      } catch (error) {
        left.push(`${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
    }
  }
  return left;
}

interface Writers {
  readonly stdout: RotatingLogFile;
  readonly stderr: RotatingLogFile;
  /** Jobs whose pipes have not ended yet. */
  users: number;
}

export class ProcessLogs {
  private readonly writers = new Map<number, Writers>();
  /** Why a process's output cannot be written now, by process and stream. */
  private readonly failing = new Map<number, Map<'stdout' | 'stderr', string>>();

  constructor(
    private readonly logsDir: string,
    private readonly maxBytes: number,
    private readonly onError: (processId: number, path: string, error: NodeJS.ErrnoException) => void,
    /** Told when a log that could not be written is written again. */
    private readonly onRecovered: (processId: number) => void = () => {},
  ) {}

  pathOf(processId: number, stream: 'stdout' | 'stderr'): string {
    return logPathOf(this.logsDir, processId, stream);
  }

  /** The writers a new job pipes into (with `end: false`); the files stay open until released. */
  acquire(processId: number): JobOutput {
    let writers = this.writers.get(processId);
    if (!writers) {
      writers = { stdout: this.file(processId, 'stdout'), stderr: this.file(processId, 'stderr'), users: 0 };
      this.writers.set(processId, writers);
    }
    const held = writers;
    held.users += 1;
    held.stdout.hold();
    held.stderr.hold();
    let released = false;
    return {
      stdout: held.stdout,
      stderr: held.stderr,
      release: () => {
        if (released) return;
        released = true;
        held.users -= 1;
        if (held.users > 0) return;
        held.stdout.release();
        held.stderr.release();
      },
    };
  }

  /** Descriptors the daemon holds for jobs' output: each job's two pipes, each written process's two files. */
  descriptorsHeld(): number {
    let held = 0;
    for (const writers of this.writers.values()) if (writers.users > 0) held += 2 + 2 * writers.users;
    return held;
  }

  /** Why the output of the process's jobs is being dropped now, or null when it is written. */
  errorOf(processId: number): string | null {
    const streams = this.failing.get(processId);
    if (!streams) return null;
    return [...streams].map(([stream, message]) => `${stream}: ${message}`).join('; ');
  }

  /** Removes the files of a deleted process with their rotated copies (answers what it left); late output is dropped. */
  remove(processId: number): string[] {
    const writers = this.writers.get(processId);
    this.writers.delete(processId);
    this.failing.delete(processId);
    writers?.stdout.discard();
    writers?.stderr.discard();
    return removeLogFiles(this.logsDir, processId);
  }

  private file(processId: number, stream: 'stdout' | 'stderr'): RotatingLogFile {
    const path = this.pathOf(processId, stream);
    const failing = (): Map<'stdout' | 'stderr', string> => {
      let streams = this.failing.get(processId);
      if (!streams) this.failing.set(processId, (streams = new Map()));
      return streams;
    };
    return new RotatingLogFile(
      path,
      this.maxBytes,
      (error) => {
        failing().set(stream, logWriteError(path, error.code ?? 'EIO', error.message));
        this.onError(processId, path, error);
      },
      () => {
        const streams = failing();
        streams.delete(stream);
        if (streams.size === 0) this.failing.delete(processId);
        this.onRecovered(processId);
      },
    );
  }
}
