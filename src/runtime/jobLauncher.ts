// Spawns a job as its own process group and follows it until nothing of the group is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { groupAlive, signalGroup, waitForStopState } from './processGroup.js';

export interface LaunchSpec {
  readonly command: readonly string[];
  readonly cwd: string | null;
  /** The complete environment of the job. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Grace given to processes left in the group after its leader exits on its own. */
  readonly stragglerGraceMs: number;
}

export interface JobEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

export interface RunningJob {
  readonly pid: number;
  /** Settles once the leader has exited and no live process of the group is left. */
  readonly ended: Promise<JobEnd>;
  /** Settles once the leader shows the signal's effect in /proc (stopped or not), or is gone. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  /** SIGTERM and SIGCONT to the group, SIGKILL after graceMs if anything of it is still alive. */
  terminate(graceMs: number): void;
}

export type LaunchResult = { readonly ok: true; readonly job: RunningJob } | { readonly ok: false; readonly error: string };

export interface JobLauncher {
  launch(spec: LaunchSpec): Promise<LaunchResult>;
}

const GROUP_POLL_MS = 10;
/** Upper bound on waiting for a SIGSTOP or SIGCONT to show in /proc. */
const SIGNAL_SETTLE_MS = 1000;

export class ProcessGroupLauncher implements JobLauncher {
  async launch(spec: LaunchSpec): Promise<LaunchResult> {
    const [file, ...args] = spec.command;
    if (file === undefined) return { ok: false, error: 'empty command' };
    if (spec.cwd !== null && !isDirectory(spec.cwd)) {
      return { ok: false, error: `working directory ${spec.cwd} does not exist or is not a directory` };
    }
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd: spec.cwd ?? undefined, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      return { ok: false, error: describeSpawnError(error, file) };
    }
    if (child.pid === undefined) {
      // Node reports this kind of spawn failure on the next tick.
      const error = await new Promise<unknown>((resolve) => child.once('error', resolve));
      return { ok: false, error: describeSpawnError(error, file) };
    }
    child.stdout?.pipe(spec.stdout, { end: false });
    child.stderr?.pipe(spec.stderr, { end: false });
    return { ok: true, job: new GroupJob(child.pid, child, spec.stragglerGraceMs) };
  }
}

class GroupJob implements RunningJob {
  readonly ended: Promise<JobEnd>;
  private leaderExit: JobEnd | null = null;
  private finished = false;
  private terminating = false;
  private killTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private resolveEnded: (end: JobEnd) => void = () => {};

  constructor(
    readonly pid: number,
    child: ChildProcess,
    private readonly stragglerGraceMs: number,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    child.once('exit', (code, signal) => {
      this.leaderExit = { exitCode: code, signal };
      // Whatever the leader left behind in its group is ended too: nothing outlives its job.
      if (groupAlive(this.pid)) this.terminate(this.stragglerGraceMs);
      this.checkGone();
    });
    child.on('error', () => {
      // Signals go to the group by pid, not through this handle; nothing to do.
    });
  }

  async signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    if (this.finished) return;
    signalGroup(this.pid, signal);
    await waitForStopState(this.pid, signal === 'SIGSTOP', SIGNAL_SETTLE_MS);
  }

  terminate(graceMs: number): void {
    if (this.finished || this.terminating) return;
    this.terminating = true;
    signalGroup(this.pid, 'SIGTERM');
    // A stopped process only acts on SIGTERM once continued.
    signalGroup(this.pid, 'SIGCONT');
    this.killTimer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    this.pollTimer = setInterval(() => this.checkGone(), GROUP_POLL_MS);
  }

  private checkGone(): void {
    if (this.finished || this.leaderExit === null || groupAlive(this.pid)) return;
    this.finished = true;
    // Cleared before the pgid can be reused by a stranger.
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.resolveEnded(this.leaderExit);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const SPAWN_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied (is it executable?)',
  EAGAIN: 'fork refused: process limit reached',
  ENOEXEC: 'not an executable format',
  E2BIG: 'argument list too long',
  EMFILE: 'too many open files in the daemon',
  ENFILE: 'too many open files on the node',
  ENOMEM: 'out of memory',
  EPERM: 'operation not permitted',
};

export function describeSpawnError(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && SPAWN_ERRORS[code]) return `${code}: ${SPAWN_ERRORS[code]}: ${file}`;
  return `${code ?? 'error'}: ${error instanceof Error ? error.message : String(error)}`;
}
