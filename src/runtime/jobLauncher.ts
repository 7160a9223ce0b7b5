// Spawns a job as its own process group (and, where cgroups can be made, in a cgroup of its own)
// and follows it until nothing of the group or the cgroup is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { stopEveryMember, type JobCgroup, type JobCgroups } from './jobCgroups.js';
import type { JobOutput } from './processLogs.js';
import { groupAlive, groupMembers, readProcStat, signalGroup, waitForStopState } from './processGroup.js';
import { spawnErrorMeaning } from './spawnErrors.js';

export interface LaunchSpec {
  readonly command: readonly string[];
  /**
   * A program opened and checked on its descriptor (programsDir.openProgram): the job executes
   * that very file, as /proc/self/fd/3 (command[0] is its argv[0]); the caller closes it.
   */
  readonly programFd?: number;
  readonly cwd: string | null;
  /** The complete environment of the job. */
  readonly env: Readonly<Record<string, string>>;
  /** Where stdout and stderr go; released once both pipes have ended (or nothing was spawned). */
  readonly output: JobOutput;
  /** Grace given to processes left in the group after its leader exits on its own. */
  readonly stragglerGraceMs: number;
  /** Names the job's cgroup (made unique there); unused without cgroups. */
  readonly jobKey: string;
  /** The partition whose cgroup the job's is made in (and whose limits it is held to). */
  readonly partition: string;
  /**
   * The partition has cgroup limits: a job that cannot get its cgroup is then not started (it
   * would run outside them); otherwise it runs, tracked by its process group and mark.
   */
  readonly needsCgroup: boolean;
}

export interface JobEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when sigma gave up on processes of the group it could not end. */
  readonly error: string | null;
  /** Whether the kernel's OOM killer killed a member of the job's cgroup (false without cgroups). */
  readonly oomKilled: boolean;
}

export interface RunningJob {
  readonly pid: number;
  /** Start time of the leader in /proc (clock ticks after boot), null if it could not be read. */
  readonly startTicks: number | null;
  /** Whether it runs in a cgroup of its own, which holds whatever leaves its process group. */
  readonly inCgroup: boolean;
  /** Settles once the leader has exited and no live process of the group (or the cgroup) is left. */
  readonly ended: Promise<JobEnd>;
  /** Settles once the leader shows the signal's effect in /proc (stopped or not), or is gone. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  /** SIGTERM and SIGCONT to the group and the cgroup, SIGKILL after graceMs if anything of them is still alive. */
  terminate(graceMs: number): void;
  /** SIGKILL to the group and the cgroup now; the job then ends as after a terminate. */
  kill(): void;
}

export type LaunchResult = { readonly ok: true; readonly job: RunningJob } | { readonly ok: false; readonly error: string };

export interface JobLauncher {
  launch(spec: LaunchSpec): Promise<LaunchResult>;
}

/** Where a checked program's descriptor is in the child (the fourth of its stdio) and how exec reaches it. */
const PROGRAM_FD_PATH = '/proc/self/fd/3';

/** The group is checked again after 5 ms, then at doubling intervals up to 200 ms. */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 200;
/** After SIGKILL, how long a group may take to go before sigma gives up on it. */
const GIVE_UP_AFTER_KILL_MS = 5000;
/** Upper bound on waiting for a SIGSTOP or SIGCONT to show in /proc. */
const SIGNAL_SETTLE_MS = 1000;

export class ProcessGroupLauncher implements JobLauncher {
  /**
   * cgroups: where each job gets a cgroup of its own (null: process groups and the mark only).
   * onCgroupError: told when a job could not get its cgroup and runs without one.
   */
  constructor(
    private readonly cgroups: JobCgroups | null = null,
    private readonly onCgroupError: (jobKey: string, error: unknown) => void = () => {},
  ) {}

  async launch(spec: LaunchSpec): Promise<LaunchResult> {
    const [file, ...args] = spec.command;
    if (file === undefined || file === '') {
      spec.output.release();
      return { ok: false, error: 'empty command' };
    }
    if (spec.cwd !== null && !isDirectory(spec.cwd)) {
      spec.output.release();
      return { ok: false, error: `working directory ${spec.cwd} does not exist or is not a directory` };
    }
    let cgroup: JobCgroup | null = null;
    try {
      cgroup = this.makeCgroup(spec.jobKey, spec.partition, spec.needsCgroup);
    } catch (error) {
      spec.output.release();
      return { ok: false, error: `the job's cgroup in partition ${spec.partition} cannot be made (${(error as Error).message}), and the job is not started outside its partition's limits` };
    }
    const attempt: SpawnAttempt = { tried: false, child: null, error: null };
    const spawnChild = (): void => {
      attempt.tried = true;
      try {
        attempt.child =
          spec.programFd === undefined
            ? spawn(file, args, { cwd: spec.cwd ?? undefined, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
            : spawn(PROGRAM_FD_PATH, args, { argv0: file, cwd: spec.cwd ?? undefined, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', spec.programFd] });
      } catch (error) {
        attempt.error = error;
      }
    };
    if (cgroup) {
      try {
        cgroup.spawnInside(spawnChild);
      } catch (error) {
        // Entering or leaving the cgroup failed, not the spawn. Not entered: the job runs without
        // it, unless its partition's limits need it.
        this.onCgroupError(spec.jobKey, error);
        if (!attempt.tried) {
          cgroup.remove();
          cgroup = null;
          if (spec.needsCgroup) {
            spec.output.release();
            return { ok: false, error: `the job cannot enter its cgroup in partition ${spec.partition} (${(error as Error).message}), and is not started outside its partition's limits` };
          }
        }
      }
    }
    if (!attempt.tried) spawnChild();
    const child = attempt.child;
    if (child?.pid === undefined) {
      // Node reports most spawn failures on the next tick.
      const error = child ? await new Promise<unknown>((resolve) => child.once('error', resolve)) : attempt.error;
      const inCgroup = cgroup !== null;
      cgroup?.remove();
      spec.output.release();
      return { ok: false, error: describeSpawnError(error, file, inCgroup) };
    }
    pipeOutput(child, spec.output);
    return { ok: true, job: new GroupJob(child.pid, child, spec.stragglerGraceMs, cgroup) };
  }

  /** Throws when the partition's limits need the cgroup that cannot be made. */
  private makeCgroup(jobKey: string, partition: string, needsCgroup: boolean): JobCgroup | null {
    if (!this.cgroups) return null;
    try {
      return this.cgroups.create(jobKey, partition);
    } catch (error) {
      this.onCgroupError(jobKey, error);
      if (needsCgroup) throw error;
      return null;
    }
  }
}

interface SpawnAttempt {
  tried: boolean;
  child: ChildProcess | null;
  error: unknown;
}

class GroupJob implements RunningJob {
  readonly ended: Promise<JobEnd>;
  private leaderExit: { exitCode: number | null; signal: string | null } | null = null;
  private finished = false;
  private terminating = false;
  private killing = false;
  private killTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private resolveEnded: (end: JobEnd) => void = () => {};
  readonly startTicks: number | null;
  readonly inCgroup: boolean;

  constructor(
    readonly pid: number,
    child: ChildProcess,
    private readonly stragglerGraceMs: number,
    private readonly cgroup: JobCgroup | null,
  ) {
    // Read at once: the child exists from the fork on, and a quick one may be gone soon.
    this.startTicks = readProcStat(pid)?.startTicks ?? null;
    this.inCgroup = cgroup !== null;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    child.once('exit', (code, signal) => {
      this.leaderExit = { exitCode: code, signal };
      if (this.checkGone()) return;
      // Whatever the leader left behind in its group is ended too: nothing outlives its job.
      this.terminate(this.stragglerGraceMs);
    });
    child.on('error', () => {
      // Signals go to the group by pid, not through this handle; nothing to do.
    });
  }

  async signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    if (this.finished) return;
    if (signal === 'SIGSTOP' && this.cgroup) await stopEveryMember(this.cgroup, SIGNAL_SETTLE_MS);
    // A stopped member cannot fork: continuing every member reaches the whole job.
    if (signal === 'SIGCONT') this.cgroup?.kill('SIGCONT');
    signalGroup(this.pid, signal);
    await waitForStopState(this.pid, signal === 'SIGSTOP', SIGNAL_SETTLE_MS);
  }

  terminate(graceMs: number): void {
    if (this.finished || this.terminating) return;
    this.terminating = true;
    // Once each: a job born in its cgroup has its whole group in it, and some programs take a
    // second SIGTERM for "quit now". A stopped process only acts on SIGTERM once continued.
    for (const signal of ['SIGTERM', 'SIGCONT'] as const) {
      if (this.cgroup) this.cgroup.kill(signal);
      else signalGroup(this.pid, signal);
    }
    this.killTimer = setTimeout(() => this.kill(), graceMs);
    this.poll(FIRST_POLL_MS);
  }

  kill(): void {
    // Checked first: once the group is gone its pgid may belong to a stranger.
    if (this.checkGone()) return;
    // A terminate() that comes after must not arm a second, gentler, round.
    this.terminating = true;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killing = true;
    signalGroup(this.pid, 'SIGKILL');
    this.cgroup?.kill('SIGKILL');
    this.killTimer = setTimeout(() => this.giveUp(), GIVE_UP_AFTER_KILL_MS);
    if (!this.pollTimer) this.poll(FIRST_POLL_MS);
  }

  /** SIGKILL did not end the group (a member changed its user, or is stuck in the kernel). */
  private giveUp(): void {
    if (this.finished) return;
    const inGroup = (groupMembers(this.pid) ?? []).filter((member) => member.state !== 'Z').map((member) => member.pid);
    const left = [...new Set([...inGroup, ...(this.cgroup?.members() ?? [])])];
    this.finish(`processes of the job could not be ended and were left running: ${left.join(', ') || 'unknown'}`);
  }

  private poll(delayMs: number): void {
    this.pollTimer = setTimeout(() => {
      if (this.checkGone()) return;
      // Without cgroup.kill, what a member forked since the last round is killed in this one.
      if (this.killing) this.cgroup?.kill('SIGKILL');
      this.poll(Math.min(delayMs * 2, LONGEST_POLL_MS));
    }, delayMs);
  }

  /** Finishes the job once its leader has exited and nothing of its group or its cgroup is alive. */
  private checkGone(): boolean {
    if (this.finished) return true;
    if (this.leaderExit === null || groupAlive(this.pid)) return false;
    if (this.cgroup && this.cgroup.members().length > 0) return false;
    this.finish(null);
    return true;
  }

  private finish(error: string | null): void {
    this.finished = true;
    // Read while the cgroup is there: its counters go with it.
    const oomKilled = this.cgroup?.oomKilled() ?? false;
    // Busy only when members were given up on: the next boot's sweep tries again.
    this.cgroup?.remove();
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.resolveEnded({ exitCode: this.leaderExit?.exitCode ?? null, signal: this.leaderExit?.signal ?? null, error, oomKilled });
  }
}

/** The writers are shared by the process's jobs: they are not ended, only released. */
function pipeOutput(child: ChildProcess, output: JobOutput): void {
  let open = 2;
  const ended = (): void => {
    open -= 1;
    if (open === 0) output.release();
  };
  for (const [source, sink] of [
    [child.stdout, output.stdout],
    [child.stderr, output.stderr],
  ] as const) {
    if (!source) {
      ended();
      continue;
    }
    source.pipe(sink, { end: false });
    source.once('close', ended);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}


/** inCgroup: the fork was made in the job's cgroup, where the partition's pids limit holds too. */
export function describeSpawnError(error: unknown, file: string, inCgroup: boolean): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EAGAIN' && inCgroup) return `${code}: fork refused: the partition's pids limit (or the node's process limit) is reached: ${file}`;
  const meaning = code ? spawnErrorMeaning(code, 'daemon') : null;
  if (meaning) return `${code}: ${meaning}: ${file}`;
  return `${code ?? 'error'}: ${error instanceof Error ? error.message : String(error)}`;
}
