// Where jobs run: the native launcher (a C program that is every job's parent and outlives the
// daemon) or, where none could be built, the daemon's own process. Both start jobs, release
// PERIODIC ones on the grid the supervisor armed, signal and end them, and report back as events;
// the supervisor decides everything (src/core/decide.ts).

/** Everything needed to start a job of a process. */
export interface JobSpec {
  readonly processId: number;
  /** argv; null runs `program` from the programs directory. */
  readonly command: readonly string[] | null;
  /** The name of an executable in the programs directory (when `command` is null). */
  readonly program: string | null;
  readonly cwd: string | null;
  /** The complete environment of the job (without SIGMA_RELEASE_AT_MS, which the host adds). */
  readonly env: Readonly<Record<string, string>>;
  /** Grace given to what a job leaves in its group after its leader exits on its own. */
  readonly stopTimeoutMs: number;
  readonly partition: string;
  /** The partition has cgroup limits: without its cgroup, the job is not started. */
  readonly needsCgroup: boolean;
  /** The partition limits its tasks (`pids`): a start into it full is refused, as a fork would be. */
  readonly limitsTasks: boolean;
  /** The job's scheduling priority, set before it runs (null: left as it is). */
  readonly nice: number | null;
  /**
   * A fleet's relocatable process: the launcher kills its job and stops its releases once no
   * daemon has been connected this long (docs/fleet.md); 0: never.
   */
  readonly fenceMs: number;
}

export interface JobEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when sigma gave up on processes of the job it could not end. */
  readonly error: string | null;
  readonly oomKilled: boolean;
  /** When its end was seen (the node's clock). */
  readonly atMs: number;
  /** Its place in the launcher's journal, null in-process. */
  readonly seq: number | null;
}

/** A job the host runs. */
export interface HostedJob {
  readonly pid: number;
  /** Start time of the leader in /proc (clock ticks after boot), null if it could not be read. */
  readonly startTicks: number | null;
  /** Whether it runs in a cgroup of its own, which holds whatever leaves its process group. */
  readonly inCgroup: boolean;
  /** Settles once the leader has exited and nothing of its group (or cgroup) is alive. */
  readonly ended: Promise<JobEnd>;
}

export type SpawnResult =
  | { readonly ok: true; readonly job: HostedJob; readonly atMs: number; readonly seq: number | null }
  | { readonly ok: false; readonly error: string };

/** What the host needs to start a process's releases itself. */
export interface HostReleases {
  readonly spec: JobSpec;
  /**
   * Whether the next release's child may be made ahead of it, waiting in the job's cgroup (not
   * where a partition's pids limit would count it).
   */
  readonly standby: boolean;
}

/** The release grid a PERIODIC process is armed with: point k at t0Ms + k * periodMs. */
export interface ArmedGrid {
  readonly t0Ms: number;
  readonly periodMs: number;
  readonly nextReleaseAtMs: number;
}

/**
 * What the host reports. Those with a `seq` are kept by the launcher until acknowledged, and a
 * daemon that comes back is told them again.
 */
export type HostEvent =
  /** A release point of a process whose releases the supervisor decides (a running limit applies). */
  | { readonly kind: 'RELEASE_DUE'; readonly processId: number; readonly atMs: number; readonly seq: number | null }
  /** The host started a job: at a release point, or for a request whose answer the daemon missed. */
  | {
      readonly kind: 'RELEASED';
      readonly processId: number;
      readonly seq: number;
      readonly job: HostedJob;
      readonly releaseAtMs: number | null;
      readonly skippedBefore: number;
      readonly atMs: number;
    }
  /** Release points passed without a job: the previous one still ran (overrun), or none could be started. */
  | {
      readonly kind: 'RELEASE_PASSED';
      readonly processId: number;
      readonly seq: number;
      readonly releaseAtMs: number;
      readonly count: number;
      readonly overrun: boolean;
      readonly atMs: number;
    }
  | {
      readonly kind: 'RELEASE_FAILED';
      readonly processId: number;
      readonly seq: number;
      readonly releaseAtMs: number;
      readonly error: string;
      readonly skippedBefore: number;
      readonly atMs: number;
    }
  | { readonly kind: 'JOB_ENDED'; readonly processId: number; readonly pid: number; readonly end: JobEnd }
  /** Whether the process's output can be written to its log changed. */
  | { readonly kind: 'OUTPUT'; readonly processId: number };

/** The events that become inputs of the state machine (all but OUTPUT). */
export type StateEvent = Exclude<HostEvent, { readonly kind: 'OUTPUT' }>;

export type HostKind = 'native' | 'in-process';

/** Where the node's jobs run, as GET /node shows it. */
export interface LauncherStatus {
  readonly mode: HostKind;
  readonly pid: number | null;
  readonly reason: string;
}

export interface JobHost {
  readonly kind: HostKind;
  spawn(spec: JobSpec, releaseAtMs: number | null): Promise<SpawnResult>;
  /**
   * Releases the process at each point of the grid from its next one on. With `releases`, the
   * host starts the job itself (RELEASED, RELEASE_PASSED, RELEASE_FAILED); without, it reports
   * RELEASE_DUE and the supervisor decides.
   */
  arm(processId: number, grid: ArmedGrid, releases: HostReleases | null): Promise<void>;
  /** Whether `arm` with these would change nothing: the host releases on that grid, that way, from that point on already. */
  armedAlready(processId: number, grid: ArmedGrid, releases: HostReleases | null): boolean;
  /** Stops releasing; answers the seq of the process's last event (what a release racing it sent). */
  disarm(processId: number): Promise<number | null>;
  /** Whether the host starts this process's releases itself now, so that one may be on its way while the supervisor decides. */
  releasesOnItsOwn(processId: number): boolean;
  /** Settles once the leader shows the signal's effect in /proc (stopped or not), or is gone. */
  signal(job: HostedJob, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  /** SIGTERM and SIGCONT, SIGKILL after graceMs; `ended` settles once nothing of it is left. */
  terminate(job: HostedJob, graceMs: number): void;
  /** SIGKILL now. */
  kill(job: HostedJob): void;
  /**
   * The fleet's relocatable processes here are this node's for `windowMs` more (its lease in etcd
   * is alive): past that without another word, a launcher kills their jobs (fence.c).
   */
  vouch(windowMs: number): void;
  /** The daemon has stored what this event changed: the launcher may drop it. */
  acknowledge(processId: number, seq: number): void;
  /** Why the process's output cannot be written to its log now, else null. */
  outputErrorOf(processId: number): string | null;
  /** The process was deleted: its logs are removed (when this settles; what could not be, named) and its late output dropped. */
  forget(processId: number): Promise<readonly string[]>;
  onEvent(listener: (event: HostEvent) => void): void;
}
