// The one writer: every change of a process goes decide (core) -> persist (store) -> act (OS),
// one step at a time per process. OS events come back in as inputs to the same loop.
import { decide } from '../core/decide.js';
import { deadlineTimerAtMs } from '../core/deadline.js';
import { definitionBytesOf } from '../core/definitionBytes.js';
import { DEFAULT_PARTITION, type PartitionLimitsSet } from '../core/partition.js';
import { isOperation, type Decision, type Effect, type Input, type Outcome } from '../core/decision.js';
import {
  dormantSnapshot,
  holdsSlot,
  jobOf,
  wireStateOf,
  type Operation,
  type ProcessSnapshot,
  type ReleaseGrid,
  type Runtime,
} from '../core/processModel.js';
import type { NewProcessDefinition, ProcessDefinition } from '../core/processDefinition.js';
import {
  DefaultPartitionError,
  ProcessBusyError,
  ProcessNameTakenError,
  ProcessNotDormantError,
  PartitionNotEmptyError,
  PartitionNotFoundError,
  ProcessNotFoundError,
  ShuttingDownError,
  SigmaError,
  StorePartialError,
  StoreUnavailableError,
} from '../errors/sigmaErrors.js';
import type { Clock } from '../runtime/clock.js';
import type { HostedJob, HostEvent, HostReleases, JobHost, JobSpec, StateEvent } from '../runtime/jobHost.js';
import type { Adoption } from '../runtime/launcher/nativeJobHost.js';
import { showsStopState } from '../runtime/processGroup.js';
import { ReleaseTimers } from '../runtime/releaseTimers.js';
import type { Durability, FleetIdentity, PersistedState, ProcessStore, StoredProcess, StoredRun } from '../runtime/sqliteStore.js';
import { adoptedSnapshot } from './adoptedSnapshot.js';
import type { ManagedProcess, ProcessReading } from './managedProcess.js';
import { bytesOfDefinition, checkQuotas } from './partitionQuotas.js';
import type { PartitionEntry, Partitions } from './partitions.js';
import { jobEnvironment } from './jobEnvironment.js';
import { endOrphan, type Orphan, type OrphanEnd } from './orphanRecovery.js';
import { persistedStateOf, stateToStore, type DecidedChange } from './stateToStore.js';
import type { ProcessEvents } from './processEvents.js';
import { restoredSnapshot } from './restoredSnapshot.js';
import { SlotQueue } from './slotQueue.js';
import { storedRestartOf } from './storedRestart.js';
import { StoreBacklog } from './storeBacklog.js';
import { endStrays } from './strayProcesses.js';

export interface SupervisorLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface SupervisorOptions {
  readonly store: ProcessStore;
  /** In a fleet: how long the launcher keeps a relocatable process's job without a daemon (0: for good). */
  readonly fenceMsOf?: (processId: number) => number;
  /** Where jobs run: the native launcher, or the daemon's own process. */
  readonly host: JobHost;
  /** Where every state change, run, creation, update and deletion is told. */
  readonly events: ProcessEvents;
  readonly clock: Clock;
  readonly logger: SupervisorLogger;
  readonly maxRunning: number | null;
  /** The node's partitions: each process belongs to one, and needs a slot of it to run. */
  readonly partitions: Partitions;
  /** Most processes defined on the node. */
  readonly maxProcesses: number;
  /** Most bytes of all the node's definitions together (see core/definitionBytes.ts). */
  readonly maxTotalDefinitionBytes: number;
  /** Marks every job (see runtime/markedProcesses.ts). */
  readonly nodeId: string;
  /**
   * Whether STOP, DELETE and shutdown look for every job's strays by its mark (reading every
   * process's environment): on a node without job cgroups. Where there are, only a job that could
   * not get one is looked for this way; a cgroup ends whatever left the group.
   */
  readonly findStraysByMark: boolean;
  /** The environment every job starts from, before its own `env`. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Resolves a program name to its executable (at creation; the host checks it again at every spawn). */
  readonly resolveProgram: (name: string) => string;
}

/** An input with where it came from: the time it happened and its place in the launcher's journal. */
interface Step {
  readonly input: Input;
  /** When it happened (the node's clock); null: now. */
  readonly atMs: number | null;
  /** Its launcher event's seq, null for what the daemon decided or the in-process host told. */
  readonly seq: number | null;
  /** The job a RELEASED or JOB_SPAWNED input is about. */
  readonly job: HostedJob | null;
}

const stepOf = (input: Input, atMs: number | null = null, seq: number | null = null, job: HostedJob | null = null): Step => ({ input, atMs, seq, job });

/** A definition as a client sends it: without a command, the programs directory supplies one. */
export type NewProcessRequest = Omit<NewProcessDefinition, 'command' | 'program'> & { readonly command: readonly string[] | null };

/** The part of a definition an update may change: all but its id, name and creation time. */
export type DefinitionChange = Pick<ProcessDefinition, 'spec' | 'command' | 'program' | 'cwd' | 'env' | 'nice'>;

export interface OperationAnswer {
  readonly process: ProcessReading;
  readonly outcome: Outcome;
}

/** How many processes a partition has, how many of them hold a running slot now, and their definitions' bytes. */
export interface PartitionCount {
  readonly processes: number;
  readonly running: number;
  readonly definitionBytes: number;
}

/** What left a job's group is given this long after SIGTERM at shutdown, whatever its process's grace. */
const SHUTDOWN_STRAY_GRACE_MS = 1000;

export class Supervisor {
  private readonly processes = new Map<number, ManagedProcess>();
  /** Processes being fenced: their STOP gives no grace (fence). */
  private readonly fencing = new Set<number>();
  private readonly idsByName = new Map<string, number>();
  private readonly slots: SlotQueue;
  /** Pending restarts of ONE_SHOT processes: the supervisor's own timers, whatever the host. */
  private readonly restartTimers: ReleaseTimers;
  /** The deadline (time capacity) of each running job that has one, and when each is armed for. */
  private readonly deadlineTimers: ReleaseTimers;
  private readonly deadlinesArmedAtMs = new Map<number, number>();
  private shuttingDown = false;
  private closed = false;
  /** endLeftovers' work, one promise per process, for a shutdown to wait for. */
  private readonly leftoverEndings: Promise<void>[] = [];
  /** Changes that happened while the store refused writes, written once it takes them. */
  private readonly backlog: StoreBacklog;
  private lastStoreRefusal: string | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.backlog = new StoreBacklog({
      store: options.store,
      logger: options.logger,
      onWritten: (written) => {
        for (const { processId, state } of written) if (state.launcherSeq > 0) options.host.acknowledge(processId, state.launcherSeq);
      },
    });
    this.slots = new SlotQueue({
      nodeMaxRunning: options.maxRunning,
      partitionOf: (processId) => this.processes.get(processId)?.definition.partition ?? DEFAULT_PARTITION,
      partitionMaxRunning: (partition) => options.partitions.maxRunningOf(partition),
    });
    options.host.onEvent((event) => this.onHostEvent(event));
    this.restartTimers = new ReleaseTimers(options.clock, (processId) => this.onRestartDue(processId));
    this.deadlineTimers = new ReleaseTimers(options.clock, (processId) => this.onDeadlineDue(processId));
  }

  /**
   * Loads every stored process. Without an adoption, each is DORMANT or SUSPENDEND and without a
   * job (restartStarted starts again what was started). With one, each is what it was when the
   * last daemon stored it, holding the launcher's live job, and the launcher's later events are
   * applied to it in order before anything else is done to it.
   */
  load(adoption: Adoption | null = null, orphans: readonly Orphan[] = []): void {
    const nowMs = this.options.clock();
    for (const entry of this.options.store.loadAll()) {
      if (!adoption) {
        this.register(entry, restoredSnapshot(entry, nowMs));
        continue;
      }
      const managed = this.register(entry, adoptedSnapshot(entry, adoption.grids.get(entry.definition.id) ?? null, nowMs));
      managed.launcherSeq = entry.launcherSeq;
      const live = adoption.jobs.get(entry.definition.id);
      if (live && live.pid === jobOf(managed.snapshot.runtime)?.pid) managed.job = live;
      this.slots.track(entry.definition.id, { phase: 'DORMANT' }, managed.snapshot.runtime);
    }
    for (const orphan of orphans) this.holdForLeftover(orphan);
    if (!adoption) return;
    for (const event of adoption.events) this.onHostEvent(event);
    for (const managed of this.processes.values()) void this.enqueue(managed, () => this.settleAdopted(managed));
    this.grantFreeSlots();
  }

  /**
   * After its launcher events, what an adopted process still needs: a job being stopped is ended,
   * a job is continued or stopped as its state says, a grid is armed.
   */
  private async settleAdopted(managed: ManagedProcess): Promise<void> {
    const { runtime } = managed.snapshot;
    const job = managed.job;
    switch (runtime.phase) {
      case 'STOPPING':
        await this.perform(managed, { kind: 'END_GROUP', pid: runtime.job.pid, graceMs: managed.definition.spec.stopTimeoutMs });
        return;
      // Signalled only when the leader shows otherwise (a daemon that died between a SIGSTOP or
      // SIGCONT and its record): a thousand adopted jobs are not a thousand launcher round trips.
      case 'RUNNING':
        if (job && !showsStopState(job.pid, false)) await this.options.host.signal(job, 'SIGCONT');
        this.syncDeadlineTimer(managed);
        if (runtime.grid) await this.perform(managed, { kind: 'ARM_RELEASE', atMs: runtime.grid.nextReleaseAtMs });
        return;
      case 'WAITING':
        await this.perform(managed, { kind: 'ARM_RELEASE', atMs: runtime.grid.nextReleaseAtMs });
        return;
      case 'RESTART_PENDING':
        await this.perform(managed, { kind: 'ARM_RESTART', atMs: runtime.restartAtMs });
        return;
      case 'SUSPENDED':
        if (job && !showsStopState(job.pid, true)) await this.options.host.signal(job, 'SIGSTOP');
        return;
      default:
        return;
    }
  }

  /**
   * Starts again the processes the operator had started (the daemon then serves already); one
   * whose left-over job is still being ended starts once it is gone (endLeftovers); one whose
   * restart was pending waits for it, at the time it was due.
   */
  async restartStarted(): Promise<void> {
    const restarts = [...this.processes.values()]
      .filter((managed) => managed.snapshot.intent === 'STARTED' && !managed.leftover)
      .map((managed) =>
        this.enqueue(managed, async () => {
          const { runtime } = managed.snapshot;
          if (runtime.phase === 'RESTART_PENDING') await this.perform(managed, { kind: 'ARM_RESTART', atMs: runtime.restartAtMs });
          else await this.applyOperation(managed, 'START', 'background');
        }),
      );
    await Promise.all(restarts);
  }

  /**
   * A process a previous daemon left running (load's orphans): its live job shows as being
   * stopped (RUNNING, its old pid, its slot held) until endLeftovers has ended it.
   */
  private holdForLeftover(orphan: Orphan): void {
    const managed = this.processes.get(orphan.processId);
    if (!managed) return;
    managed.leftover = { pids: orphan.targets.map((target) => target.pid), hurry: new AbortController() };
    if (!orphan.job) return;
    const before = managed.snapshot.runtime;
    const job = { pid: orphan.job.pid, startedAtMs: orphan.job.startedAtMs, releaseAtMs: null };
    managed.snapshot = { ...managed.snapshot, runtime: { phase: 'STOPPING', job } };
    managed.reportedState = wireStateOf(managed.snapshot.runtime);
    this.slots.track(orphan.processId, before, managed.snapshot.runtime);
  }

  /**
   * Ends, while the daemon serves, what previous daemons left running (SIGTERM, each one's grace,
   * SIGKILL), all at once, and then each one's job cgroups; each process is then what a restart
   * makes it (a started one starts again). Settles when every one is ended.
   */
  async endLeftovers(orphans: readonly Orphan[], endCgroupsOf: (processId: number) => Promise<void>): Promise<void> {
    const endings = orphans.map(async (orphan) => {
      const managed = this.processes.get(orphan.processId);
      if (!managed?.leftover) return;
      const { intent, counters } = managed.snapshot;
      const state = { intent, counters, launcherSeq: managed.launcherSeq, restart: storedRestartOf(managed.snapshot) };
      const end = await endOrphan(orphan, state, this.options, managed.leftover.hurry.signal).catch((error: unknown) => {
        this.options.logger.error({ err: error, processId: orphan.processId }, 'could not end a job a previous daemon left');
        return null;
      });
      await endCgroupsOf(orphan.processId).catch((error: unknown) => {
        this.options.logger.error({ err: error, processId: orphan.processId }, 'could not empty the job cgroups a previous daemon left');
      });
      await this.enqueue(managed, () => this.afterLeftover(managed, end));
    });
    this.leftoverEndings.push(...endings);
    await Promise.allSettled(endings);
  }

  /** How many processes still wait for a job a previous daemon left to be ended. */
  leftoverCount(): number {
    let count = 0;
    for (const managed of this.processes.values()) if (managed.leftover) count += 1;
    return count;
  }

  private async afterLeftover(managed: ManagedProcess, end: OrphanEnd | null): Promise<void> {
    managed.leftover = null;
    const { definition } = managed;
    const before = managed.snapshot;
    const state = {
      intent: before.intent,
      counters: before.counters,
      lastExit: end?.lastExit ?? before.lastExit,
      job: null,
      launcherSeq: managed.launcherSeq,
      restart: storedRestartOf(before),
    };
    managed.snapshot = restoredSnapshot({ ...state, definition }, this.options.clock());
    this.slots.track(definition.id, before.runtime, managed.snapshot.runtime);
    if (end) this.options.events.emit(definition, end.run.endedAtMs, { type: 'run', run: end.run });
    this.reportStateChange(managed, { kind: 'JOB_ENDED', pid: end?.run.pid ?? 0, exitCode: null, signal: end?.run.signal ?? null }, null);
    if (managed.snapshot.intent === 'STARTED' && !this.shuttingDown) await this.applyOperation(managed, 'START', 'background');
    this.grantFreeSlots();
  }

  list(): ProcessReading[] {
    return [...this.processes.values()].map((managed) => this.readingOf(managed));
  }

  get(processId: number): ProcessReading {
    return this.readingOf(this.managed(processId));
  }

  /** The process with this id, or null (where a missing one is not an error). */
  find(processId: number): ProcessReading | null {
    const managed = this.processes.get(processId);
    return managed && !managed.deleted ? this.readingOf(managed) : null;
  }

  findByName(name: string): ProcessReading | null {
    const id = this.idsByName.get(name);
    return id === undefined ? null : this.get(id);
  }

  /**
   * Stores a new process (DORMANT) and, with startNow, starts it. A definition without a command
   * runs the program of its name from the programs directory. In a fleet, `fleet` holds the id the
   * fleet reserved for it (else it takes the store's next).
   */
  async create(request: NewProcessRequest, startNow: boolean, fleet: FleetIdentity | null = null): Promise<ProcessReading> {
    this.refuseChangesWhenShuttingDown();
    if (!this.options.partitions.has(request.partition)) throw new PartitionNotFoundError(request.partition);
    if (this.idsByName.has(request.name)) throw new ProcessNameTakenError(request.name);
    const definition: NewProcessDefinition = {
      ...request,
      command: request.command ?? [this.options.resolveProgram(request.name)],
      program: request.command ? null : request.name,
    };
    this.fitQuotas(definition, null);
    // Created and started in one write: its start then has nothing more to store before it acts,
    // so a store that refuses writes refuses the whole request, and nothing is made.
    const intent = startNow ? 'STARTED' : 'STOPPED';
    const storedId = this.options.store.insert(definition, intent, fleet);
    const managed = this.register({ definition: { ...definition, id: storedId } }, { ...dormantSnapshot(definition.spec), intent });
    this.options.logger.info({ processId: storedId, name: definition.name }, 'process created');
    this.options.events.emit(managed.definition, this.options.clock(), { type: 'created', reading: this.readingOf(managed) });
    if (startNow) await this.enqueue(managed, () => this.operateNow(managed, 'START'));
    return this.readingOf(managed);
  }

  /**
   * Changes the definition of a DORMANT process; `change` sees the definition current at that
   * moment (after every step queued before it).
   */
  update(processId: number, change: (current: ProcessDefinition) => DefinitionChange): Promise<ProcessReading> {
    this.refuseChangesWhenShuttingDown();
    const managed = this.managed(processId);
    return this.enqueue(managed, async () => {
      if (managed.deleted) throw new ProcessNotFoundError(`id ${processId}`);
      const state = wireStateOf(managed.snapshot.runtime);
      if (state !== 'DORMANT') throw new ProcessNotDormantError(processId, state);
      const definition: ProcessDefinition = { ...managed.definition, ...change(managed.definition) };
      this.fitQuotas(definition, managed);
      this.options.store.update(definition);
      managed.definition = definition;
      managed.snapshot = { ...managed.snapshot, spec: definition.spec };
      managed.jobEnv = this.jobEnvOf(definition);
      this.options.logger.info({ processId, name: definition.name }, 'process updated');
      this.options.events.emit(managed.definition, this.options.clock(), { type: 'updated', reading: this.readingOf(managed) });
      return this.readingOf(managed);
    });
  }

  /** Its log became unwritable or writable again: clients see `outputError` change (an `updated` event). */
  tellOutputChange(processId: number): void {
    const managed = this.processes.get(processId);
    if (!managed || managed.deleted) return;
    this.options.events.emit(managed.definition, this.options.clock(), { type: 'updated', reading: this.readingOf(managed) });
  }

  /** The run history of a process, newest first; with `beforeId`, the runs older than that one. */
  runs(processId: number, limit: number, beforeId: number | null = null): StoredRun[] {
    this.managed(processId);
    this.backlog.flushPending();
    return this.options.store.listRuns(processId, limit, beforeId);
  }

  /**
   * STOP without the grace: SIGKILL to the job's group at once. For a fleet's relocatable process
   * on a node out of touch with etcd, which another node may start within a second (docs/fleet.md).
   */
  async fence(processId: number): Promise<OperationAnswer> {
    this.fencing.add(processId);
    try {
      return await this.operate(processId, 'STOP');
    } finally {
      this.fencing.delete(processId);
    }
  }

  /** `startDelayMs`: a START whose first release is that long after (DELAYED_START). */
  operate(processId: number, operation: Operation, startDelayMs: number | null = null): Promise<OperationAnswer> {
    this.refuseChangesWhenShuttingDown();
    const managed = this.managed(processId);
    return this.enqueue(managed, () => this.operateNow(managed, operation, startDelayMs));
  }

  /**
   * The operation on every process of the partition at once, one answer each, by id. One that is
   * refused (the disk full for a START) is answered FAILED with why, and does not undo the others;
   * one deleted meanwhile is left out.
   */
  async operatePartition(partition: string, operation: Operation): Promise<OperationAnswer[]> {
    this.refuseChangesWhenShuttingDown();
    this.options.partitions.get(partition);
    const members = [...this.processes.values()].filter((managed) => managed.definition.partition === partition && !managed.deleted);
    const heldOnly: number[] = [];
    const answers = await Promise.all(
      members.map((managed) =>
        this.enqueue(managed, () => this.operateNow(managed, operation)).catch((error: unknown): OperationAnswer | null => {
          if (error instanceof ProcessNotFoundError) return null;
          if (error instanceof StorePartialError) {
            heldOnly.push(managed.definition.id);
            return null;
          }
          if (!(error instanceof SigmaError)) throw error;
          return { process: this.readingOf(managed), outcome: { result: 'FAILED', reason: error.message } };
        }),
      ),
    );
    if (heldOnly.length > 0) {
      const ids = heldOnly.sort((a, b) => a - b).join(', ');
      throw StorePartialError.heldInMemory(`${operation} of partition "${partition}" was done; what it did to process${heldOnly.length > 1 ? 'es' : ''} ${ids} is not stored`, this.storeRefusal());
    }
    return answers.filter((answer): answer is OperationAnswer => answer !== null);
  }

  countIn(partition: string): PartitionCount {
    return this.countsByPartition().get(partition) ?? { processes: 0, running: 0, definitionBytes: 0 };
  }

  /** Every partition's counts, in one pass over the processes (partitions without any are absent). */
  countsByPartition(): Map<string, PartitionCount> {
    const counts = new Map<string, { processes: number; running: number; definitionBytes: number }>();
    for (const managed of this.processes.values()) {
      const count = counts.get(managed.definition.partition) ?? { processes: 0, running: 0, definitionBytes: 0 };
      count.processes += 1;
      count.definitionBytes += bytesOfDefinition(managed.definition);
      if (holdsSlot(managed.snapshot.runtime)) count.running += 1;
      counts.set(managed.definition.partition, count);
    }
    return counts;
  }

  /**
   * Changes a partition's limits; a raised maxRunning hands its new slots to the waiting at once,
   * and its processes' releases are armed again (who starts them may have changed).
   */
  changePartitionLimits(partition: string, change: Partial<PartitionLimitsSet>): PartitionEntry {
    this.refuseChangesWhenShuttingDown();
    const entry = this.options.partitions.changeLimits(partition, change);
    for (const managed of this.processes.values()) {
      if (managed.definition.partition !== partition) continue;
      void this.enqueue(managed, async () => {
        const { runtime } = managed.snapshot;
        const grid = gridOf(runtime);
        if (grid && runtime.phase !== 'SUSPENDED') await this.perform(managed, { kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs });
      });
    }
    this.grantFreeSlots();
    return entry;
  }

  /**
   * Refuses a definition that the node's ceiling or its partition's quotas cannot take; `replacing`:
   * the process whose definition it replaces (an update), which then counts with its new size only.
   */
  private fitQuotas(definition: NewProcessDefinition, replacing: ManagedProcess | null): void {
    const { partition } = definition;
    const addedBytes = definitionBytesOf(definition.command, definition.env);
    // A quota lowered below what a partition holds refuses growth, never a definition that shrinks.
    if (replacing && addedBytes <= bytesOfDefinition(replacing.definition)) return;
    let nodeDefinitionBytes = 0;
    let partitionProcesses = 0;
    let partitionDefinitionBytes = 0;
    for (const managed of this.processes.values()) {
      if (managed === replacing) continue;
      const bytes = bytesOfDefinition(managed.definition);
      nodeDefinitionBytes += bytes;
      if (managed.definition.partition !== partition) continue;
      partitionProcesses += 1;
      partitionDefinitionBytes += bytes;
    }
    const nodeProcesses = this.processes.size - (replacing ? 1 : 0);
    checkQuotas(
      partition,
      this.options.partitions.quotasOf(partition),
      this.options,
      { nodeProcesses, nodeDefinitionBytes, partitionProcesses, partitionDefinitionBytes },
      addedBytes,
      replacing === null,
    );
  }

  /** Deletes a partition that has no process (its tokens and its cgroup go with it). */
  deletePartition(partition: string): void {
    this.refuseChangesWhenShuttingDown();
    this.options.partitions.get(partition);
    if (partition === DEFAULT_PARTITION) throw new DefaultPartitionError();
    const { processes } = this.countIn(partition);
    if (processes > 0) throw new PartitionNotEmptyError(partition, processes);
    this.options.partitions.remove(partition);
  }

  /** Ends a live job first (as STOP), then removes the process, its history and its logs. */
  delete(processId: number): Promise<void> {
    this.refuseChangesWhenShuttingDown();
    const managed = this.managed(processId);
    if (managed.leftover) throw new ProcessBusyError(leftoverReason(managed.leftover.pids));
    return this.enqueue(managed, async () => {
      if (managed.deleted) throw new ProcessNotFoundError(`id ${processId}`);
      const stops = managed.snapshot.runtime.phase !== 'DORMANT';
      if (stops) {
        // Stored as stopped before anything acts: a store that refuses writes refuses the DELETE
        // whole (its job runs on), rather than ending a job whose process a restart brings back.
        this.writeState(managed, { ...this.persistedStateNow(managed), intent: 'STOPPED' });
        const { notStored } = await this.applyOperationHeld(managed, 'STOP');
        if (notStored) {
          await this.endStraysOf(managed);
          throw StorePartialError.heldInMemory(`process ${processId} was stopped but not deleted (DELETE it again once the disk takes writes)`, this.storeRefusal());
        }
      }
      await this.endStraysOf(managed);
      try {
        this.options.store.remove(processId);
      } catch (error) {
        if (!stops || !(error instanceof StoreUnavailableError)) throw error;
        throw new StorePartialError(
          `process ${processId} was stopped, and that is stored, but it could not be deleted: the store cannot be written (${error.storeCode}); DELETE it again once the disk takes writes`,
        );
      }
      this.backlog.forget(processId);
      managed.deleted = true;
      this.processes.delete(processId);
      this.syncDeadlineTimer(managed);
      this.idsByName.delete(managed.definition.name);
      const left = await this.options.host.forget(processId);
      if (left.length > 0) this.options.logger.warn({ processId, left }, 'log files of the deleted process that are not files were left as they are');
      this.options.logger.info({ processId, name: managed.definition.name }, 'process deleted');
      this.options.events.emit(managed.definition, this.options.clock(), { type: 'deleted' });
    });
  }

  /** From now on, requests that would change something are refused (503). */
  refuseChanges(): void {
    this.shuttingDown = true;
  }

  /** SIGKILL to every live job's group at once, for an operator who will not wait for the grace. */
  killAllJobs(): void {
    for (const managed of this.processes.values()) {
      if (managed.job) this.options.host.kill(managed.job);
      managed.leftover?.hurry.abort();
    }
  }

  /** Ends every job (grace, then kill) and records it, keeping each intent for the next boot. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    // A left-over job is ended by endLeftovers, with its grace.
    const halts = [...this.processes.values()]
      .filter((managed) => !managed.leftover)
      .map((managed) => this.enqueue(managed, () => this.apply(managed, stepOf({ kind: 'SHUTDOWN' }), 'background')));
    await Promise.allSettled([...halts, ...this.leftoverEndings]);
    this.restartTimers.cancelAll();
    this.cancelDeadlineTimers();
    if (this.options.findStraysByMark || [...this.processes.values()].some((managed) => managed.lastJobOutsideCgroup)) {
      await endStrays(this.options.nodeId, null, SHUTDOWN_STRAY_GRACE_MS, this.options.logger);
    }
    this.closed = true;
    this.backlog.close();
  }

  /** Stops deciding anything, leaving every job to the launcher (a daemon that hands over). */
  detach(): void {
    this.shuttingDown = true;
    this.closed = true;
    this.restartTimers.cancelAll();
    this.cancelDeadlineTimers();
    this.backlog.close();
  }

  private async operateNow(managed: ManagedProcess, operation: Operation, startDelayMs: number | null = null): Promise<OperationAnswer> {
    if (managed.deleted) throw new ProcessNotFoundError(`id ${managed.definition.id}`);
    // Answered at once: waiting would take the left-over's whole grace, and a second job of the process must not start.
    if (managed.leftover) return { process: this.readingOf(managed), outcome: { result: 'FAILED', reason: leftoverReason(managed.leftover.pids) } };
    const { outcome, notStored } = await this.applyOperationHeld(managed, operation, startDelayMs);
    if (operation === 'STOP') await this.endStraysOf(managed);
    if (notStored) throw notStored;
    return { process: this.readingOf(managed), outcome: outcome as Outcome };
  }

  /** An operation whose decision the store may refuse after it acted: what was done is then told, not thrown before the rest. */
  private async applyOperationHeld(
    managed: ManagedProcess,
    operation: Operation,
    startDelayMs: number | null = null,
  ): Promise<{ outcome: Outcome | null; notStored: StorePartialError | null }> {
    try {
      return { outcome: await this.applyOperation(managed, operation, 'acknowledged', startDelayMs), notStored: null };
    } catch (error) {
      if (!(error instanceof StorePartialError)) throw error;
      return { outcome: null, notStored: error };
    }
  }

  private async endStraysOf(managed: ManagedProcess): Promise<void> {
    if (!this.options.findStraysByMark && !managed.lastJobOutsideCgroup) return;
    await endStrays(this.options.nodeId, managed.definition.id, managed.definition.spec.stopTimeoutMs, this.options.logger);
  }

  private async applyOperation(managed: ManagedProcess, operation: Operation, durability: Durability, startDelayMs: number | null = null): Promise<Outcome> {
    const input = this.operationInput(managed, operation, startDelayMs);
    const outcome = await this.apply(managed, stepOf(input), durability);
    // decide settles every operation (test/unit/decide.*.test.ts checks each phase and input).
    if (!outcome) throw new Error(`${operation} of process ${managed.definition.id} was left unsettled`);
    return outcome;
  }

  private operationInput(managed: ManagedProcess, operation: Operation, startDelayMs: number | null): Input {
    const slotFree = this.slots.isFreeFor(managed.definition.id);
    switch (operation) {
      case 'START':
        return startDelayMs === null ? { kind: operation, slotFree } : { kind: operation, slotFree, delayMs: startDelayMs };
      case 'RESUME':
        return { kind: operation, slotFree };
      case 'STOP':
      case 'SUSPEND':
        return { kind: operation };
    }
  }

  /** decide -> persist -> act, following up on spawns and terminations until the step settles. */
  private async apply(managed: ManagedProcess, first: Step, durability: Durability): Promise<Outcome | undefined> {
    let outcome: Outcome | undefined;
    let note: string | null = null;
    let synced: Promise<void> | null = null;
    /** The operation's own decision was refused by the store (and held): SQLite's code. */
    let refusedBy: string | null = null;
    const steps: Step[] = [first];
    const settledFirst = await this.settleReleasesBefore(managed, first);
    steps.unshift(...settledFirst.steps);
    while (steps.length > 0 && !this.closed) {
      const step = steps[0] as Step;
      if (step.seq !== null) {
        // Applied already (told twice: in a reply, then as an event)...
        if (step.seq <= managed.launcherSeq) {
          steps.shift();
          continue;
        }
        // ...or after the launcher's events that came before it, within this step.
        const earlier = this.pullInbox(managed, step.seq - 1);
        if (earlier.length > 0) {
          steps.unshift(...earlier);
          continue;
        }
      }
      steps.shift();
      const { input } = step;
      // One sync per operation: its own decision (the intent the operator asked for) reaches the
      // disk before the answer, synced while the operation acts; its follow-ups (the job's pid,
      // its end) are written at once and synced with the next acknowledged write: a crash of the
      // daemon loses none of them, and a power cut leaves no job to record anyway.
      const acknowledged = isOperation(first.input.kind) && step === first && durability === 'acknowledged';
      const before = managed.snapshot;
      const decision = decide(before, input, step.atMs ?? this.options.clock());
      const jobAfter = jobOf(decision.next.runtime);
      if (step.job && jobAfter?.pid === step.job.pid) {
        managed.job = step.job;
        managed.lastJobOutsideCgroup = !step.job.inCgroup;
      }
      // Only the first write of a step may fail it (after that, something has happened on the
      // node), and never a STOP or SUSPEND: with the disk full, a job must still be stoppable.
      const failRequest = step === first && (input.kind === 'START' || input.kind === 'RESUME');
      if (step.seq !== null) managed.launcherSeq = step.seq;
      const change = {
        before,
        after: decision.next,
        run: decision.run ?? null,
        jobStartTicks: managed.job?.startTicks ?? null,
        launcherSeq: managed.launcherSeq,
        seqChanged: step.seq !== null,
      };
      const effects = this.effectsOf(step, decision, first, settledFirst);
      // Persisted before anything acts. An event the launcher keeps until acknowledged, that leads
      // to no act, is written with the others a little later (and acknowledged then); never within
      // an operation, whose answer tells what is stored (a job's pid, should the launcher die too).
      const deferred = step.seq !== null && !isOperation(first.input.kind) && this.actsOnNothing(managed, effects, decision.next);
      const stored = this.storeChange(managed, change, failRequest, deferred);
      if (!stored && acknowledged && this.backlog.holds(managed.definition.id)) refusedBy = this.storeRefusal();
      // What the operation does next has happened by the time a failed sync is known: logged, not answered.
      if (acknowledged) {
        synced = this.options.store.sync().catch((error: unknown) => {
          this.options.logger.error({ err: error, processId: managed.definition.id }, 'could not sync the store to disk');
        });
      }
      // The launcher keeps an event until it is stored: a daemon that dies first is told it again.
      if (stored && step.seq !== null && !deferred) this.options.host.acknowledge(managed.definition.id, step.seq);
      managed.snapshot = decision.next;
      this.syncDeadlineTimer(managed);
      // Logged with the decision's note; told here to the clients.
      if (decision.deadlineMiss) this.options.events.emit(managed.definition, step.atMs ?? this.options.clock(), { type: 'deadlineMissed', miss: decision.deadlineMiss });
      if (decision.run) this.options.events.emit(managed.definition, decision.run.endedAtMs, { type: 'run', run: decision.run });
      this.slots.track(managed.definition.id, before.runtime, decision.next.runtime);
      if (jobAfter === null) managed.job = null;
      if (decision.outcome) outcome = decision.outcome;
      if (decision.note) {
        note = decision.note;
        this.options.logger.info({ processId: managed.definition.id, name: managed.definition.name }, decision.note);
      }
      const followUps: Step[] = [];
      for (const effect of effects) {
        const followUp = await this.act(managed, effect);
        if (followUp === null) continue;
        // A release the launcher made before it was disarmed: its events first, within this step.
        if ('drainUpTo' in followUp) steps.unshift(...this.pullInbox(managed, followUp.drainUpTo));
        else followUps.push(followUp);
      }
      steps.push(...followUps);
    }
    this.reportStateChange(managed, first.input, note);
    this.grantFreeSlots();
    await synced;
    // Done on the node, but a 200 would say stored: the answer says what was done and what is held.
    if (refusedBy !== null && this.backlog.holds(managed.definition.id)) {
      const { id } = managed.definition;
      throw StorePartialError.heldInMemory(`${first.input.kind} was done: process ${id} is ${wireStateOf(managed.snapshot.runtime)}`, refusedBy);
    }
    return outcome;
  }

  /**
   * Writes what a decision changed, with whatever the store refused before (`deferred`: with the
   * next batch, StoreBacklog.defer). Answers whether it is stored; a refused change is held and
   * written later, unless `failRequest`: an operation that has not acted yet then fails whole
   * (503, nothing changed).
   */
  private storeChange(managed: ManagedProcess, change: DecidedChange, failRequest: boolean, deferred: boolean): boolean {
    const state = stateToStore(change);
    if (state === null) return true;
    const { id } = managed.definition;
    if (deferred) {
      this.backlog.defer(id, state, change.run);
      return true;
    }
    try {
      this.backlog.write(id, state, change.run);
      return true;
    } catch (error) {
      if (failRequest) throw error;
      if (!(error instanceof StoreUnavailableError)) {
        this.options.logger.error({ err: error, processId: id }, 'could not store a change that has happened');
        return false;
      }
      this.lastStoreRefusal = error.storeCode;
      this.backlog.hold(id, state, change.run, error);
      return false;
    }
  }

  /** Writes a process's state now (with what is held), or throws: before anything acts. */
  private writeState(managed: ManagedProcess, state: PersistedState): void {
    this.backlog.write(managed.definition.id, state, null);
  }

  private persistedStateNow(managed: ManagedProcess): PersistedState {
    return persistedStateOf(managed.snapshot, managed.job?.startTicks ?? null, managed.launcherSeq);
  }

  /** SQLite's code of the last write the store refused. */
  private storeRefusal(): string {
    return this.lastStoreRefusal ?? 'SQLITE_FULL';
  }

  /**
   * Before an input that ends the process's releases is decided, the launcher stops releasing it
   * and the releases it made meanwhile are applied first: a release on its way while STOP counts
   * the points it missed would otherwise be counted twice (missed, then made).
   */
  private async settleReleasesBefore(managed: ManagedProcess, first: Step): Promise<{ steps: Step[]; disarmed: boolean }> {
    const { host } = this.options;
    const id = managed.definition.id;
    if (!endsReleases(first.input.kind) || !host.releasesOnItsOwn(id)) return { steps: [], disarmed: false };
    const lastSeq = await host.disarm(id);
    return { steps: lastSeq === null ? [] : this.pullInbox(managed, lastSeq), disarmed: true };
  }

  /**
   * The effects to perform: the launcher's releases settled before an operation are not re-armed
   * (the operation decides that next), and the operation re-arms them if it keeps them.
   */
  private effectsOf(step: Step, decision: Decision, first: Step, settled: { steps: Step[]; disarmed: boolean }): readonly Effect[] {
    if (step === first) return settled.disarmed ? withReleasesRearmed(decision) : decision.effects;
    if (settled.steps.includes(step)) return decision.effects.filter((effect) => effect.kind !== 'ARM_RELEASE');
    return decision.effects;
  }

  /** Performs one effect outside a decision (an adopted process settling), and applies what follows. */
  private async perform(managed: ManagedProcess, effect: Effect): Promise<void> {
    const followUp = await this.act(managed, effect);
    if (followUp === null) return;
    if ('drainUpTo' in followUp) await this.catchUp(managed, followUp.drainUpTo + 1);
    else await this.apply(managed, followUp, 'background');
  }

  /** What an effect leads to: an input to decide next, or the launcher's events up to a seq to apply first. */
  private async act(managed: ManagedProcess, effect: Effect): Promise<Step | { readonly drainUpTo: number } | null> {
    const id = managed.definition.id;
    const { host } = this.options;
    switch (effect.kind) {
      case 'SPAWN_JOB':
        // Whatever goes wrong on the way to a job is a failed spawn, never a step left LAUNCHING.
        return this.spawnJob(managed).catch((error: unknown) => stepOf({ kind: 'SPAWN_FAILED', error: String(error) }));
      case 'SIGNAL_GROUP':
        if (managed.job) await host.signal(managed.job, effect.signal);
        return null;
      case 'END_GROUP': {
        const job = managed.job;
        if (!job) return stepOf({ kind: 'JOB_ENDED', pid: effect.pid, exitCode: null, signal: null });
        host.terminate(job, this.fencing.has(id) ? 0 : effect.graceMs);
        const end = await job.ended;
        const input: Input = { kind: 'JOB_ENDED', pid: job.pid, exitCode: end.exitCode, signal: end.signal, error: end.error, oomKilled: end.oomKilled };
        return stepOf(input, end.atMs, end.seq);
      }
      case 'ARM_RELEASE': {
        const grid = gridOf(managed.snapshot.runtime);
        if (!grid) return null;
        await host.arm(id, { t0Ms: grid.t0Ms, periodMs: grid.periodMs, nextReleaseAtMs: effect.atMs }, this.hostReleasesOf(managed));
        return null;
      }
      case 'CANCEL_RELEASE': {
        const lastSeq = await host.disarm(id);
        return lastSeq === null ? null : { drainUpTo: lastSeq };
      }
      case 'ARM_RESTART':
        this.restartTimers.arm(id, effect.atMs);
        return null;
      case 'CANCEL_RESTART':
        this.restartTimers.cancel(id);
        return null;
    }
  }

  /** A pending restart is due: decided in order, after whatever is queued for the process. */
  private onRestartDue(processId: number): void {
    const managed = this.processes.get(processId);
    if (!managed || managed.deleted || this.shuttingDown) return;
    void this.enqueue(managed, async () => {
      if (managed.deleted || this.shuttingDown) return;
      await this.apply(managed, stepOf({ kind: 'RESTART_DUE', slotFree: this.slots.isFreeFor(processId) }), 'background');
    });
  }

  /** The running job's deadline timer, armed for its deadline now (it moves with a suspension), or cancelled when it has none. */
  private syncDeadlineTimer(managed: ManagedProcess): void {
    const { id } = managed.definition;
    const atMs = managed.deleted || this.shuttingDown ? null : deadlineTimerAtMs(managed.snapshot);
    if (atMs === (this.deadlinesArmedAtMs.get(id) ?? null)) return;
    if (atMs === null) {
      this.deadlineTimers.cancel(id);
      this.deadlinesArmedAtMs.delete(id);
      return;
    }
    this.deadlineTimers.arm(id, atMs);
    this.deadlinesArmedAtMs.set(id, atMs);
  }

  private cancelDeadlineTimers(): void {
    this.deadlineTimers.cancelAll();
    this.deadlinesArmedAtMs.clear();
  }

  /** A job's deadline came: decided in order, after whatever is queued for the process. */
  private onDeadlineDue(processId: number): void {
    this.deadlinesArmedAtMs.delete(processId);
    const managed = this.processes.get(processId);
    if (!managed || managed.deleted || this.shuttingDown) return;
    void this.enqueue(managed, async () => {
      if (managed.deleted || this.shuttingDown) return;
      await this.apply(managed, stepOf({ kind: 'DEADLINE_DUE' }), 'background');
    });
  }

  /**
   * Whether the host may start a release's job itself: when no running limit can hold it back
   * (the node's or its partition's); otherwise each release waits for the supervisor's slot.
   */
  private releasesItself(managed: ManagedProcess): boolean {
    return this.options.maxRunning === null && this.options.partitions.maxRunningOf(managed.definition.partition) === null;
  }

  /** What the host needs to release the process itself, or null when each release waits for the supervisor. */
  private hostReleasesOf(managed: ManagedProcess): HostReleases | null {
    if (!this.releasesItself(managed)) return null;
    const spec = this.specOf(managed);
    // A waiting standby would count against a task limit.
    return { spec, standby: !spec.limitsTasks };
  }

  /** Whether performing these effects would change nothing: re-arming a grid the launcher releases on already. */
  private actsOnNothing(managed: ManagedProcess, effects: readonly Effect[], after: ProcessSnapshot): boolean {
    if (effects.length === 0) return true;
    const grid = gridOf(after.runtime);
    if (!grid) return false;
    const releases = this.hostReleasesOf(managed);
    const { host } = this.options;
    return effects.every(
      (effect) => effect.kind === 'ARM_RELEASE' && host.armedAlready(managed.definition.id, { t0Ms: grid.t0Ms, periodMs: grid.periodMs, nextReleaseAtMs: effect.atMs }, releases),
    );
  }

  private specOf(managed: ManagedProcess): JobSpec {
    const { definition } = managed;
    return {
      processId: definition.id,
      command: definition.program === null ? definition.command : null,
      program: definition.program,
      cwd: definition.cwd,
      env: managed.jobEnv,
      stopTimeoutMs: definition.spec.stopTimeoutMs,
      partition: definition.partition,
      needsCgroup: this.options.partitions.hasCgroupLimits(definition.partition),
      limitsTasks: this.options.partitions.limitsTasks(definition.partition),
      nice: definition.nice,
      fenceMs: this.options.fenceMsOf?.(definition.id) ?? 0,
    };
  }

  private async spawnJob(managed: ManagedProcess): Promise<Step> {
    const { runtime } = managed.snapshot;
    const releaseAtMs = runtime.phase === 'LAUNCHING' ? runtime.releaseAtMs : null;
    const spawned = await this.options.host.spawn(this.specOf(managed), releaseAtMs);
    if (!spawned.ok) return stepOf({ kind: 'SPAWN_FAILED', error: spawned.error });
    return stepOf({ kind: 'JOB_SPAWNED', pid: spawned.job.pid }, spawned.atMs, spawned.seq, spawned.job);
  }

  /** An event of the host: in order, after whatever is queued for its process. */
  private onHostEvent(event: HostEvent): void {
    const managed = this.processes.get(event.processId);
    if (!managed || managed.deleted) return;
    if (event.kind === 'OUTPUT') {
      this.tellOutputChange(event.processId);
      return;
    }
    if (seqOf(event) !== null) {
      // Kept in order: a step that learns of a later event applies these first.
      managed.inbox.push(event);
      void this.enqueue(managed, () => this.catchUp(managed, Number.POSITIVE_INFINITY));
      return;
    }
    void this.enqueue(managed, () => this.applyHostEvent(managed, event));
  }

  /** Applies the launcher's events of this process that came before `beforeSeq`, in order. */
  private async catchUp(managed: ManagedProcess, beforeSeq: number): Promise<void> {
    const steps = this.pullInbox(managed, beforeSeq - 1);
    for (const step of steps) {
      if (this.closed || managed.deleted) return;
      await this.apply(managed, step, 'background');
    }
  }

  /** Takes the events of the inbox up to a seq, as steps, in order. */
  private pullInbox(managed: ManagedProcess, upToSeq: number): Step[] {
    const taken: StateEvent[] = [];
    while (managed.inbox.length > 0 && (seqOf(managed.inbox[0] as StateEvent) ?? 0) <= upToSeq) taken.push(managed.inbox.shift() as StateEvent);
    return taken.map((event) => this.stepOfEvent(managed, event));
  }

  private async applyHostEvent(managed: ManagedProcess, event: StateEvent): Promise<void> {
    if (managed.deleted || (this.shuttingDown && event.kind === 'RELEASE_DUE')) return;
    await this.apply(managed, this.stepOfEvent(managed, event), 'background');
  }

  private stepOfEvent(managed: ManagedProcess, event: StateEvent): Step {
    switch (event.kind) {
      case 'RELEASE_DUE':
        return stepOf({ kind: 'RELEASE', slotFree: this.slots.isFreeFor(managed.definition.id) }, null, event.seq);
      case 'RELEASED':
        return stepOf({ kind: 'RELEASED', pid: event.job.pid, releaseAtMs: event.releaseAtMs, skippedBefore: event.skippedBefore }, event.atMs, event.seq, event.job);
      case 'RELEASE_PASSED':
        return stepOf({ kind: 'RELEASE_PASSED', releaseAtMs: event.releaseAtMs, count: event.count, overrun: event.overrun }, event.atMs, event.seq);
      case 'RELEASE_FAILED':
        return stepOf({ kind: 'RELEASE_FAILED', releaseAtMs: event.releaseAtMs, error: event.error, skippedBefore: event.skippedBefore }, event.atMs, event.seq);
      case 'JOB_ENDED': {
        const { end } = event;
        return stepOf({ kind: 'JOB_ENDED', pid: event.pid, exitCode: end.exitCode, signal: end.signal, error: end.error, oomKilled: end.oomKilled }, end.atMs, end.seq);
      }
    }
  }

  private grantFreeSlots(): void {
    for (const processId of this.slots.takeGrants()) {
      const managed = this.processes.get(processId);
      if (!managed) {
        this.slots.granted(processId);
        continue;
      }
      void this.enqueue(managed, () => {
        this.slots.granted(processId);
        return this.apply(managed, stepOf({ kind: 'SLOT_GRANTED' }), 'background');
      });
    }
  }

  /** Runs task after everything already queued for this process; a failure does not block the queue. */
  private enqueue<T>(managed: ManagedProcess, task: () => Promise<T>): Promise<T> {
    const result = managed.chain.then(task);
    managed.chain = result.catch((error: unknown) => {
      // A refused request (not found, not DORMANT, invalid) is the client's, answered with a 4xx.
      if (error instanceof SigmaError && error.httpStatus < 500) return;
      this.options.logger.error({ err: error, processId: managed.definition.id }, 'step failed');
    });
    return result;
  }

  private register(entry: Pick<StoredProcess, 'definition'>, snapshot: ProcessSnapshot): ManagedProcess {
    const managed: ManagedProcess = {
      definition: entry.definition,
      snapshot,
      job: null,
      lastJobOutsideCgroup: false,
      chain: Promise.resolve(),
      deleted: false,
      reportedState: wireStateOf(snapshot.runtime),
      jobEnv: this.jobEnvOf(entry.definition),
      inbox: [],
      launcherSeq: 0,
      leftover: null,
    };
    this.processes.set(entry.definition.id, managed);
    this.idsByName.set(entry.definition.name, entry.definition.id);
    return managed;
  }

  private readingOf(managed: ManagedProcess): ProcessReading {
    return { definition: managed.definition, snapshot: managed.snapshot, outputError: this.options.host.outputErrorOf(managed.definition.id) };
  }

  private jobEnvOf(definition: ProcessDefinition): Record<string, string> {
    return jobEnvironment(this.options.baseEnv, this.options.nodeId, definition);
  }

  private managed(processId: number): ManagedProcess {
    const managed = this.processes.get(processId);
    if (!managed || managed.deleted) throw new ProcessNotFoundError(`id ${processId}`);
    return managed;
  }

  /** Throws 503 once the daemon is shutting down: for every change, this supervisor's or beside it. */
  refuseChangesWhenShuttingDown(): void {
    if (this.shuttingDown) throw new ShuttingDownError();
  }

  /** `note`: what the restart policy decided, told as the change's reason. */
  private reportStateChange(managed: ManagedProcess, cause: Input, note: string | null): void {
    const from = managed.reportedState;
    const to = wireStateOf(managed.snapshot.runtime);
    if (from === to) return;
    managed.reportedState = to;
    const { id, name } = managed.definition;
    // Operations are logged at info; the steady beat of releases and exits only at debug.
    const level = isOperation(cause.kind) || cause.kind === 'SHUTDOWN' ? 'info' : 'debug';
    this.options.logger[level]({ processId: id, name, from, to, cause: cause.kind }, 'state changed');
    this.options.events.emit(managed.definition, this.options.clock(), { type: 'state', from, to, reason: note ?? cause.kind });
  }
}

/** Why a process whose left-over job is being ended takes no operation. */
function leftoverReason(pids: readonly number[]): string {
  return `busy: a job left by the previous daemon is being ended (pid ${pids.join(', ')}: SIGTERM, then SIGKILL after its stopTimeoutMs); try again once it is gone`;
}

/** Inputs whose decisions stop the process's releases (CANCEL_RELEASE) in every phase that has them. */
function endsReleases(kind: Input['kind']): boolean {
  return kind === 'STOP' || kind === 'SUSPEND' || kind === 'SHUTDOWN';
}

/** A decision made after its releases were stopped beforehand: releasing again if it keeps them (a refused STOP). */
function withReleasesRearmed(decision: Decision): readonly Effect[] {
  const { runtime } = decision.next;
  const grid = gridOf(runtime);
  if (!grid || runtime.phase === 'SUSPENDED' || decision.effects.some((effect) => effect.kind === 'CANCEL_RELEASE')) return decision.effects;
  return [{ kind: 'ARM_RELEASE', atMs: grid.nextReleaseAtMs }, ...decision.effects];
}

/** The launcher's journal number of an event, null for one the in-process host told. */
function seqOf(event: HostEvent): number | null {
  switch (event.kind) {
    case 'JOB_ENDED':
      return event.end.seq;
    case 'OUTPUT':
      return null;
    default:
      return event.seq;
  }
}

function gridOf(runtime: Runtime): ReleaseGrid | null {
  return runtime.phase === 'DORMANT' || runtime.phase === 'STOPPING' || runtime.phase === 'RESTART_PENDING' ? null : runtime.grid;
}
