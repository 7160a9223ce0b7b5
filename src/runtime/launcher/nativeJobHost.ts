// Jobs run by the native launcher (launcher/launcherConnection.ts, docs/launcher.md): every
// request and event translated between the supervisor's terms (the node's clock in ms, process
// ids, job handles) and the launcher's (CLOCK_MONOTONIC ns, release indexes, job ids).
import { constants } from 'node:os';
import { anchoredClock, type Clock } from '../clock.js';
import type { JobCgroups } from '../jobCgroups.js';
import type { ArmedGrid, HostedJob, HostEvent, HostReleases, JobEnd, JobHost, JobSpec, SpawnResult } from '../jobHost.js';
import { waitForStopState } from '../processGroup.js';
import { logPathOf, logWriteError, removeLogFiles } from '../processLogs.js';
import { LauncherRequestError, type LauncherConnection, type LauncherHello } from './launcherConnection.js';
import { EventKind, Field, MessageType, numberOf, signedOf, SpawnStage, stringOf, type FieldList, type Message } from './launcherWire.js';
import { spawnErrorMeaning } from '../spawnErrors.js';

/** Upper bound on waiting for a SIGSTOP or SIGCONT to show in /proc. */
const SIGNAL_SETTLE_MS = 1000;
const EARLY_ENDS_KEPT = 1024;

export interface NativeJobHostOptions {
  readonly connection: LauncherConnection;
  readonly hello: LauncherHello;
  readonly logsDir: string;
  readonly logMaxBytes: number;
  readonly programsDir: string;
  readonly cgroups: JobCgroups | null;
  /** Where a job without its own `cwd` runs: the daemon's working directory. */
  readonly cwd: string;
  /** Told when a log cannot be written (it is dropped meanwhile). */
  readonly onLogError: (processId: number, path: string, error: string) => void;
}

class NativeJob implements HostedJob {
  readonly ended: Promise<JobEnd>;
  resolveEnded: (end: JobEnd) => void = () => {};

  constructor(
    readonly jobId: number,
    readonly processId: number,
    readonly pid: number,
    readonly startTicks: number | null,
    readonly inCgroup: boolean,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }
}

/** A grid as armed in the launcher: enough to turn its release indexes back into points. */
interface ArmRecord {
  readonly t0Ms: number;
  readonly periodMs: number;
  readonly nextIndex: number;
  readonly armed: boolean;
  /** Who starts its releases: the launcher (with a standby ahead of each, or not), or the daemon when told. */
  readonly mode: 'standby' | 'spawn' | 'told';
}

/** What a daemon that connects to a launcher already running adopts. */
export interface Adoption {
  /** Live jobs by process. */
  readonly jobs: ReadonlyMap<number, HostedJob>;
  /** Grids the launcher releases, by process. */
  readonly grids: ReadonlyMap<number, ArmedGrid>;
  /** Every event the previous daemon did not acknowledge, in order per process. */
  readonly events: readonly HostEvent[];
}

const modeOf = (releases: HostReleases | null): ArmRecord['mode'] => (releases === null ? 'told' : releases.standby ? 'standby' : 'spawn');
const indexOf = (grid: ArmedGrid): number => Math.round((grid.nextReleaseAtMs - grid.t0Ms) / grid.periodMs);

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));
/** errno names by number; of two names for one number (EAGAIN, EWOULDBLOCK) the first, as Node's own errors say. */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) if (!ERRNO_NAMES.has(number)) ERRNO_NAMES.set(number, name);

export class NativeJobHost implements JobHost {
  readonly kind = 'native' as const;
  /** The node's clock, anchored where the launcher's is. */
  readonly clock: Clock;
  readonly adoption: Adoption;
  private readonly anchorMs: number;
  private readonly jobs = new Map<number, NativeJob>();
  /**
   * Ends told before the job's handle was made: a reply and the job's end can arrive in one read,
   * and the handle is made when the awaiting code resumes. Bounded (ends of jobs never asked for:
   * those a previous daemon started).
   */
  private readonly earlyEnds = new Map<number, JobEnd>();
  private readonly grids = new Map<number, ArmRecord>();
  private readonly outputErrors = new Map<number, Map<number, string>>();
  private readonly pendingAcks = new Map<number, number>();
  private readonly partitionsReady = new Set<string>();
  private ackScheduled = false;
  private listener: (event: HostEvent) => void = () => {};

  constructor(private readonly options: NativeJobHostOptions) {
    const { hello } = options;
    this.anchorMs = hello.anchorNs / 1e6;
    this.clock = anchoredClock(this.anchorMs);
    const jobs = new Map<number, HostedJob>();
    for (const message of hello.jobs) {
      const job = this.jobOf(message);
      jobs.set(job.processId, job);
    }
    const grids = new Map<number, ArmedGrid>();
    for (const message of hello.arms) {
      const processId = numberOf(message, Field.PROCESS_ID) ?? 0;
      const t0Ms = this.msOf(signedOf(message, Field.T0_NS) ?? 0);
      const periodMs = (signedOf(message, Field.PERIOD_NS) ?? 1e6) / 1e6;
      const nextIndex = numberOf(message, Field.NEXT_INDEX) ?? 0;
      const mode = numberOf(message, Field.AUTO) !== 1 ? 'told' : numberOf(message, Field.STANDBY) === 1 ? 'standby' : 'spawn';
      this.grids.set(processId, { t0Ms, periodMs, nextIndex, armed: true, mode });
      grids.set(processId, { t0Ms, periodMs, nextReleaseAtMs: t0Ms + nextIndex * periodMs });
    }
    const events = hello.events.map((message) => this.eventOf(message)).filter((event): event is HostEvent => event !== null);
    this.adoption = { jobs, grids, events };
    options.connection.listen({
      onEvent: (message) => {
        const event = this.eventOf(message);
        if (event) this.listener(event);
      },
    });
  }

  onEvent(listener: (event: HostEvent) => void): void {
    this.listener = listener;
  }

  async spawn(spec: JobSpec, releaseAtMs: number | null): Promise<SpawnResult> {
    const fields: FieldList = [...this.specFields(spec), ...(releaseAtMs === null ? [] : ([[Field.RELEASE_AT_NS, this.nsOf(releaseAtMs)]] as const))];
    let reply: Message;
    try {
      reply = await this.options.connection.request(MessageType.SPAWN, fields);
    } catch (error) {
      if (!(error instanceof LauncherRequestError)) return { ok: false, error: `the launcher is gone: ${(error as Error).message}` };
      if (error.stage === SpawnStage.CGROUP && ERRNO_NAMES.get(error.errno) === 'ENOENT' && this.options.cgroups) {
        // The partition's cgroup was removed from outside: made again, with its limits, once.
        this.partitionsReady.delete(spec.partition);
        return this.spawnAgain(spec, fields);
      }
      return { ok: false, error: describeSpawnFailure(error.errno, error.stage, error.message) };
    }
    return { ok: true, job: this.jobOf(reply, spec.processId), atMs: this.msOf(signedOf(reply, Field.AT_NS) ?? 0), seq: numberOf(reply, Field.SEQ) };
  }

  private async spawnAgain(spec: JobSpec, fields: FieldList): Promise<SpawnResult> {
    try {
      this.preparePartition(spec.partition);
      const reply = await this.options.connection.request(MessageType.SPAWN, fields);
      return { ok: true, job: this.jobOf(reply, spec.processId), atMs: this.msOf(signedOf(reply, Field.AT_NS) ?? 0), seq: numberOf(reply, Field.SEQ) };
    } catch (error) {
      if (error instanceof LauncherRequestError) return { ok: false, error: describeSpawnFailure(error.errno, error.stage, error.message) };
      return { ok: false, error: (error as Error).message };
    }
  }

  armedAlready(processId: number, grid: ArmedGrid, releases: HostReleases | null): boolean {
    const current = this.grids.get(processId);
    // Re-armed at a point the launcher has reached on its own (it releases without waiting): nothing to tell.
    return (
      current !== undefined &&
      current.armed &&
      current.mode === modeOf(releases) &&
      current.t0Ms === grid.t0Ms &&
      current.periodMs === grid.periodMs &&
      current.nextIndex >= indexOf(grid)
    );
  }

  async arm(processId: number, grid: ArmedGrid, releases: HostReleases | null): Promise<void> {
    if (this.armedAlready(processId, grid, releases)) return;
    const current = this.grids.get(processId);
    const sameGrid = current !== undefined && current.t0Ms === grid.t0Ms && current.periodMs === grid.periodMs;
    // A point the launcher has told of is handled (its event is applied in turn): never released twice.
    const nextIndex = Math.max(indexOf(grid), sameGrid ? current.nextIndex : 0);
    const mode = modeOf(releases);
    this.grids.set(processId, { t0Ms: grid.t0Ms, periodMs: grid.periodMs, nextIndex, armed: true, mode });
    const fields: FieldList = [
      [Field.PROCESS_ID, processId],
      [Field.T0_NS, this.nsOf(grid.t0Ms)],
      [Field.PERIOD_NS, BigInt(Math.round(grid.periodMs * 1e6))],
      [Field.NEXT_INDEX, nextIndex],
      [Field.AUTO, releases !== null],
      [Field.STANDBY, releases?.standby ?? false],
      ...(releases ? this.specFields(releases.spec) : []),
    ];
    await this.options.connection.request(MessageType.ARM, fields);
  }

  async disarm(processId: number): Promise<number | null> {
    const current = this.grids.get(processId);
    // Disarmed by this daemon and not armed since: the launcher has nothing to stop or tell.
    if (current && !current.armed) return null;
    if (current) this.grids.set(processId, { ...current, armed: false });
    const reply = await this.options.connection.request(MessageType.DISARM, [[Field.PROCESS_ID, processId]]);
    return numberOf(reply, Field.SEQ);
  }

  releasesOnItsOwn(processId: number): boolean {
    const current = this.grids.get(processId);
    return current !== undefined && current.armed && current.mode !== 'told';
  }

  async signal(job: HostedJob, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const { jobId, pid } = job as NativeJob;
    const sent = await this.options.connection
      .request(MessageType.SIGNAL, [
        [Field.JOB_ID, jobId],
        [Field.SIGNO, constants.signals[signal]],
      ])
      .then(() => true)
      .catch(() => false);
    if (sent) await waitForStopState(pid, signal === 'SIGSTOP', SIGNAL_SETTLE_MS);
  }

  terminate(job: HostedJob, graceMs: number): void {
    void this.options.connection
      .request(MessageType.TERMINATE, [
        [Field.JOB_ID, (job as NativeJob).jobId],
        [Field.GRACE_MS, graceMs],
      ])
      .catch(() => undefined);
  }

  kill(job: HostedJob): void {
    void this.options.connection.request(MessageType.KILL, [[Field.JOB_ID, (job as NativeJob).jobId]]).catch(() => undefined);
  }

  vouch(windowMs: number): void {
    this.options.connection.send(MessageType.VOUCH, [[[Field.FENCE_MS, Math.max(0, Math.floor(windowMs))]]]);
  }

  acknowledge(processId: number, seq: number): void {
    if ((this.pendingAcks.get(processId) ?? 0) >= seq) return;
    this.pendingAcks.set(processId, seq);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    // One ACK per process per turn of the event loop, all in one write.
    setImmediate(() => {
      this.ackScheduled = false;
      const acks: FieldList[] = [];
      for (const [id, upTo] of this.pendingAcks) {
        acks.push([
          [Field.PROCESS_ID, id],
          [Field.SEQ, upTo],
        ]);
      }
      this.pendingAcks.clear();
      this.options.connection.send(MessageType.ACK, acks);
    });
  }

  outputErrorOf(processId: number): string | null {
    const streams = this.outputErrors.get(processId);
    if (!streams) return null;
    return [...streams].map(([stream, message]) => `${stream === 0 ? 'stdout' : 'stderr'}: ${message}`).join('; ');
  }

  async forget(processId: number): Promise<string[]> {
    this.grids.delete(processId);
    this.outputErrors.delete(processId);
    // The launcher closes the files first: it never writes them anew once they are removed.
    await this.options.connection.request(MessageType.FORGET, [[Field.PROCESS_ID, processId]]).catch(() => undefined);
    return removeLogFiles(this.options.logsDir, processId);
  }

  private specFields(spec: JobSpec): FieldList {
    const fields: Array<FieldList[number]> = [[Field.PROCESS_ID, spec.processId]];
    if (spec.command) {
      for (const arg of spec.command) fields.push([Field.ARG, arg]);
    } else {
      const name = spec.program ?? '';
      fields.push([Field.PROGRAM_DIR, this.options.programsDir], [Field.PROGRAM_NAME, name], [Field.ARG, `${this.options.programsDir}/${name}`]);
    }
    for (const [key, value] of Object.entries(spec.env)) fields.push([Field.ENV, `${key}=${value}`]);
    fields.push([Field.CWD, spec.cwd ?? this.options.cwd]);
    // The starter calls setpriority before exec: the job and all it forks run at this priority.
    if (spec.nice !== null) fields.push([Field.NICE, spec.nice]);
    if (spec.fenceMs > 0) fields.push([Field.FENCE_MS, spec.fenceMs]);
    const { cgroups } = this.options;
    if (cgroups) {
      this.preparePartition(spec.partition);
      const plan = cgroups.plan(`process-${spec.processId}`, spec.partition, spec.limitsTasks);
      fields.push([Field.CG_NAME, plan.name]);
      for (const entry of plan.entries) fields.push([Field.CG_PATH, entry.path], [Field.CG_HOME, entry.home], [Field.CG_FLAGS, entry.flags]);
    }
    fields.push(
      [Field.NEEDS_CGROUP, spec.needsCgroup],
      [Field.LOG_STDOUT, logPathOf(this.options.logsDir, spec.processId, 'stdout')],
      [Field.LOG_STDERR, logPathOf(this.options.logsDir, spec.processId, 'stderr')],
      [Field.LOG_MAX_BYTES, this.options.logMaxBytes],
      [Field.GRACE_MS, spec.stopTimeoutMs],
    );
    return fields;
  }

  /** A partition's cgroup is made (with its limits) before its first job, and again if it was removed. */
  private preparePartition(partition: string): void {
    if (this.partitionsReady.has(partition) || !this.options.cgroups) return;
    this.options.cgroups.ensurePartition(partition);
    this.partitionsReady.add(partition);
  }

  private nsOf(ms: number): bigint {
    return BigInt(Math.round((ms - this.anchorMs) * 1e6));
  }

  private msOf(ns: number): number {
    return this.anchorMs + ns / 1e6;
  }

  /** A job handle from a reply, a STATE_JOB or a SPAWNED event (one handle per job). */
  private jobOf(message: Message, processId?: number): NativeJob {
    const jobId = numberOf(message, Field.JOB_ID) ?? 0;
    const known = this.jobs.get(jobId);
    if (known) return known;
    const startTicks = numberOf(message, Field.START_TICKS);
    const job = new NativeJob(
      jobId,
      processId ?? numberOf(message, Field.PROCESS_ID) ?? 0,
      numberOf(message, Field.PID) ?? 0,
      startTicks === 0 ? null : startTicks,
      numberOf(message, Field.IN_CGROUP) === 1,
    );
    const end = this.earlyEnds.get(jobId);
    if (end) {
      this.earlyEnds.delete(jobId);
      job.resolveEnded(end);
      return job;
    }
    this.jobs.set(jobId, job);
    return job;
  }

  private rememberEarlyEnd(jobId: number, end: JobEnd): void {
    this.earlyEnds.set(jobId, end);
    if (this.earlyEnds.size > EARLY_ENDS_KEPT) this.earlyEnds.delete(this.earlyEnds.keys().next().value as number);
  }

  private releaseAtOf(processId: number, message: Message): number | null {
    const index = numberOf(message, Field.RELEASE_INDEX);
    const grid = this.grids.get(processId);
    if (index === null || !grid) return null;
    if (index + 1 > grid.nextIndex) this.grids.set(processId, { ...grid, nextIndex: index + 1 });
    return grid.t0Ms + index * grid.periodMs;
  }

  private eventOf(message: Message): HostEvent | null {
    const processId = numberOf(message, Field.PROCESS_ID) ?? 0;
    const seq = numberOf(message, Field.SEQ) ?? 0;
    const atMs = this.msOf(signedOf(message, Field.AT_NS) ?? 0);
    switch (numberOf(message, Field.KIND)) {
      case EventKind.SPAWNED: {
        const job = this.jobOf(message, processId);
        const releaseAtMs = this.releaseAtOf(processId, message);
        return { kind: 'RELEASED', processId, seq, job, releaseAtMs, skippedBefore: numberOf(message, Field.SKIPPED_BEFORE) ?? 0, atMs };
      }
      case EventKind.PASSED: {
        const releaseAtMs = this.releaseAtOf(processId, message) ?? atMs;
        const count = numberOf(message, Field.COUNT) ?? 1;
        return { kind: 'RELEASE_PASSED', processId, seq, releaseAtMs, count, overrun: numberOf(message, Field.OVERRUN) === 1, atMs };
      }
      case EventKind.DUE:
        this.releaseAtOf(processId, message);
        // Told live only, never kept: a daemon that missed it finds the point passed (skipped).
        return { kind: 'RELEASE_DUE', processId, atMs, seq: numberOf(message, Field.SEQ) };
      case EventKind.RELEASE_FAILED: {
        const releaseAtMs = this.releaseAtOf(processId, message) ?? atMs;
        const error = describeSpawnFailure(numberOf(message, Field.STATUS) ?? 0, numberOf(message, Field.STAGE) ?? 0, stringOf(message, Field.ERROR) ?? '');
        return { kind: 'RELEASE_FAILED', processId, seq, releaseAtMs, error, skippedBefore: numberOf(message, Field.SKIPPED_BEFORE) ?? 0, atMs };
      }
      case EventKind.EXITED: {
        const jobId = numberOf(message, Field.JOB_ID) ?? 0;
        const pid = numberOf(message, Field.PID) ?? 0;
        const code = signedOf(message, Field.EXIT_CODE) ?? -1;
        const signo = numberOf(message, Field.EXIT_SIGNAL) ?? 0;
        const end: JobEnd = {
          exitCode: code >= 0 ? code : null,
          signal: signo > 0 ? (SIGNAL_NAMES.get(signo) ?? `signal ${signo}`) : null,
          error: stringOf(message, Field.ERROR),
          oomKilled: numberOf(message, Field.OOM) === 1,
          atMs,
          seq,
        };
        const job = this.jobs.get(jobId);
        this.jobs.delete(jobId);
        if (job) job.resolveEnded(end);
        else this.rememberEarlyEnd(jobId, end);
        return { kind: 'JOB_ENDED', processId, pid, end };
      }
      case EventKind.OUTPUT: {
        const stream = numberOf(message, Field.STREAM) ?? 0;
        const errno = numberOf(message, Field.STATUS) ?? 0;
        let streams = this.outputErrors.get(processId);
        if (errno === 0) {
          streams?.delete(stream);
          if (streams?.size === 0) this.outputErrors.delete(processId);
        } else {
          if (!streams) this.outputErrors.set(processId, (streams = new Map()));
          const code = ERRNO_NAMES.get(errno) ?? 'EIO';
          const path = logPathOf(this.options.logsDir, processId, stream === 0 ? 'stdout' : 'stderr');
          streams.set(stream, logWriteError(path, code, null));
          this.options.onLogError(processId, path, code);
        }
        return { kind: 'OUTPUT', processId };
      }
      default:
        return null;
    }
  }
}


/** Words a launcher's spawn failure as the in-process launcher does (jobLauncher.describeSpawnError). */
function describeSpawnFailure(errno: number, stage: number, detail: string): string {
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  switch (stage) {
    case SpawnStage.PROGRAM:
    case SpawnStage.CGROUP:
    case SpawnStage.BUSY:
      return detail;
    case SpawnStage.CWD:
      return `working directory ${detail} does not exist or is not a directory`;
    case SpawnStage.NICE:
      return `${code}: the priority cannot be set (${detail})`;
    case SpawnStage.TASK_LIMIT:
      return `${code}: fork refused: the partition's pids limit is reached: ${detail}`;
    default:
      return `${code}: ${spawnErrorMeaning(code, 'launcher') ?? 'spawn failed'}: ${detail}`;
  }
}
