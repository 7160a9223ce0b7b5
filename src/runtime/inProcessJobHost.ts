// Jobs run from the daemon's own process, where no launcher could be built: spawned with Node's
// child_process (a fork of the daemon), released by the daemon's timers, their output written by
// the daemon. They end with the daemon; the native launcher (launcher/) does not have these limits.
import { closeSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Clock } from './clock.js';
import type { HostedJob, HostEvent, JobEnd, JobHost, JobSpec, SpawnResult, ArmedGrid } from './jobHost.js';
import type { ProcessGroupLauncher, RunningJob } from './jobLauncher.js';
import { ProcessLogs } from './processLogs.js';
import type { OpenedProgram } from './programsDir.js';
import { ReleaseTimers, type ReleaseWaiter } from './releaseTimers.js';
import { releasePointVariable } from './releasePoint.js';

export interface InProcessJobHostOptions {
  readonly launcher: ProcessGroupLauncher;
  readonly logsDir: string;
  readonly logMaxBytes: number;
  readonly clock: Clock;
  readonly releaseWaiter: ReleaseWaiter;
  /** Opens a program of the programs directory, checked on its descriptor at every spawn. */
  readonly openProgram: (name: string) => OpenedProgram;
  /** Told when a log cannot be written (it is dropped meanwhile). */
  readonly onLogError: (processId: number, path: string, error: NodeJS.ErrnoException) => void;
}

class InProcessJob implements HostedJob {
  readonly ended: Promise<JobEnd>;

  constructor(
    readonly running: RunningJob,
    clock: Clock,
  ) {
    this.ended = running.ended.then((end) => ({ ...end, atMs: clock(), seq: null }));
  }

  get pid(): number {
    return this.running.pid;
  }

  get startTicks(): number | null {
    return this.running.startTicks;
  }

  get inCgroup(): boolean {
    return this.running.inCgroup;
  }
}

export class InProcessJobHost implements JobHost {
  readonly kind = 'in-process' as const;
  private readonly logs: ProcessLogs;
  private readonly timers: ReleaseTimers;
  private listener: (event: HostEvent) => void = () => {};

  constructor(private readonly options: InProcessJobHostOptions) {
    this.logs = new ProcessLogs(
      options.logsDir,
      options.logMaxBytes,
      (processId, path, error) => {
        options.onLogError(processId, path, error);
        this.listener({ kind: 'OUTPUT', processId });
      },
      (processId) => this.listener({ kind: 'OUTPUT', processId }),
    );
    this.timers = new ReleaseTimers(
      options.clock,
      // After the I/O of this turn of the event loop: a job that exited while the loop was busy
      // is seen to have ended before the release is decided, not taken for an overrun.
      (processId) => setImmediate(() => this.listener({ kind: 'RELEASE_DUE', processId, atMs: options.clock(), seq: null })),
      { waiter: options.releaseWaiter },
    );
  }

  /** Descriptors of the daemon's own that running jobs hold (their output's pipes and files). */
  descriptorsHeld(): number {
    return this.logs.descriptorsHeld();
  }

  onEvent(listener: (event: HostEvent) => void): void {
    this.listener = listener;
  }

  async spawn(spec: JobSpec, releaseAtMs: number | null): Promise<SpawnResult> {
    let command: readonly string[];
    let program: OpenedProgram | null = null;
    try {
      // Checked again at every spawn, on the descriptor the job is executed from.
      if (spec.command === null) program = this.options.openProgram(spec.program ?? '');
      command = spec.command ?? [(program as OpenedProgram).path];
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    const env = releaseAtMs === null ? spec.env : { ...spec.env, ...releasePointVariable(releaseAtMs, this.options.clock) };
    const launched = await this.options.launcher
      .launch({
        command,
        ...(program ? { programFd: program.fd } : {}),
        cwd: spec.cwd,
        env,
        output: this.logs.acquire(spec.processId),
        stragglerGraceMs: spec.stopTimeoutMs,
        jobKey: `process-${spec.processId}`,
        partition: spec.partition,
        needsCgroup: spec.needsCgroup,
      })
      .finally(() => {
        if (program) closeSync(program.fd);
      });
    if (!launched.ok) return { ok: false, error: launched.error };
    if (spec.nice !== null) {
      // Node cannot act between fork and exec: the priority is set right after the spawn, before
      // the job is told RUNNING (what it forked in that instant keeps the daemon's priority).
      try {
        setPriority(launched.job.pid, spec.nice);
      } catch (error) {
        launched.job.kill();
        return { ok: false, error: `the priority cannot be set (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
      }
    }
    const job = new InProcessJob(launched.job, this.options.clock);
    void job.ended.then((end) => this.listener({ kind: 'JOB_ENDED', processId: spec.processId, pid: job.pid, end }));
    return { ok: true, job, atMs: this.options.clock(), seq: null };
  }

  async arm(processId: number, grid: ArmedGrid): Promise<void> {
    this.timers.arm(processId, grid.nextReleaseAtMs);
  }

  armedAlready(): boolean {
    // Each arm sets the timer again.
    return false;
  }

  async disarm(processId: number): Promise<number | null> {
    this.timers.cancel(processId);
    return null;
  }

  releasesOnItsOwn(): boolean {
    // Its timers only tell the supervisor, in the process's queue: nothing races a decision.
    return false;
  }

  signal(job: HostedJob, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    return (job as InProcessJob).running.signal(signal);
  }

  terminate(job: HostedJob, graceMs: number): void {
    (job as InProcessJob).running.terminate(graceMs);
  }

  kill(job: HostedJob): void {
    (job as InProcessJob).running.kill();
  }

  vouch(): void {
    // Nothing to fence: a node whose jobs run in-process takes no relocatable process.
  }

  acknowledge(): void {
    // Nothing is kept for a daemon that comes back: in-process jobs end with the daemon.
  }

  outputErrorOf(processId: number): string | null {
    return this.logs.errorOf(processId);
  }

  async forget(processId: number): Promise<string[]> {
    this.timers.cancel(processId);
    return this.logs.remove(processId);
  }

  /** Stops every release timer (the daemon is stopping). */
  close(): void {
    this.timers.cancelAll();
  }
}
