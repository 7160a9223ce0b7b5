// The one writer: every change of a process goes decide (core) -> persist (store) -> act (OS),
// one step at a time per process. OS events come back in as inputs to the same loop.
import { decide } from '../core/decide.js';
import { DEFAULT_PARTITION, type PartitionLimitsSet } from '../core/partition.js';
import { isOperation, type Effect, type Input, type Outcome } from '../core/decision.js';
import {
  dormantSnapshot,
  holdsSlot,
  jobOf,
  wireStateOf,
  type Operation,
  type ProcessSnapshot,
} from '../core/processModel.js';
import type { NewProcessDefinition, ProcessDefinition } from '../core/processDefinition.js';
import {
  DefaultPartitionError,
  ProcessLimitError,
  ProcessNameTakenError,
  ProcessNotDormantError,
  PartitionNotEmptyError,
  PartitionNotFoundError,
  ProcessNotFoundError,
  ShuttingDownError,
  SigmaError,
} from '../errors/sigmaErrors.js';
import type { Clock } from '../runtime/clock.js';
import type { JobLauncher } from '../runtime/jobLauncher.js';
import type { ProcessLogs } from '../runtime/processLogs.js';
import { ReleaseTimers, type ReleaseWaiter } from '../runtime/releaseTimers.js';
import type { Durability, ProcessStore, StoredProcess, StoredRun } from '../runtime/sqliteStore.js';
import type { ManagedProcess, ProcessReading } from './managedProcess.js';
import type { PartitionEntry, Partitions } from './partitions.js';
import { jobEnvironment, withReleasePoint } from './jobEnvironment.js';
import { persistDecision } from './persistDecision.js';
import type { ProcessEvents } from './processEvents.js';
import { restoredSnapshot } from './restoredSnapshot.js';
import { SlotQueue } from './slotQueue.js';
import { endStrays } from './strayProcesses.js';

export interface SupervisorLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface SupervisorOptions {
  readonly store: ProcessStore;
  readonly launcher: JobLauncher;
  readonly logs: ProcessLogs;
  /** Where every state change, run, creation, update and deletion is told. */
  readonly events: ProcessEvents;
  readonly clock: Clock;
  readonly logger: SupervisorLogger;
  readonly maxRunning: number | null;
  /** The node's partitions: each process belongs to one, and needs a slot of it to run. */
  readonly partitions: Partitions;
  /** Most processes defined on the node. */
  readonly maxProcesses: number;
  readonly releaseWaiter: ReleaseWaiter;
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
  /** Resolves a program name to its executable, checked again at every spawn. */
  readonly resolveProgram: (name: string) => string;
}

/** A definition as a client sends it: without a command, the programs directory supplies one. */
export type NewProcessRequest = Omit<NewProcessDefinition, 'command' | 'program'> & { readonly command: readonly string[] | null };

/** The part of a definition an update may change: all but its id, name and creation time. */
export type DefinitionChange = Pick<ProcessDefinition, 'spec' | 'command' | 'program' | 'cwd' | 'env'>;

export interface OperationAnswer {
  readonly process: ProcessReading;
  readonly outcome: Outcome;
}

/** How many processes a partition has, and how many of them hold a running slot now. */
export interface PartitionCount {
  readonly processes: number;
  readonly running: number;
}

/** What left a job's group is given this long after SIGTERM at shutdown, whatever its process's grace. */
const SHUTDOWN_STRAY_GRACE_MS = 1000;

export class Supervisor {
  private readonly processes = new Map<number, ManagedProcess>();
  private readonly idsByName = new Map<string, number>();
  private readonly slots: SlotQueue;
  private readonly timers: ReleaseTimers;
  private shuttingDown = false;
  private closed = false;

  constructor(private readonly options: SupervisorOptions) {
    this.slots = new SlotQueue({
      nodeMaxRunning: options.maxRunning,
      partitionOf: (processId) => this.processes.get(processId)?.definition.partition ?? DEFAULT_PARTITION,
      partitionMaxRunning: (partition) => options.partitions.maxRunningOf(partition),
    });
    this.timers = new ReleaseTimers(options.clock, (id) => this.onReleaseTimer(id), { waiter: options.releaseWaiter });
  }

  /** Loads every stored process, each DORMANT or SUSPENDEND and without a job. */
  load(): void {
    const nowMs = this.options.clock();
    for (const entry of this.options.store.loadAll()) this.register(entry, restoredSnapshot(entry, nowMs));
  }

  /** Starts again the processes the operator had started (the daemon then serves already). */
  async restartStarted(): Promise<void> {
    const restarts = [...this.processes.values()]
      .filter((managed) => managed.snapshot.intent === 'STARTED')
      .map((managed) => this.enqueue(managed, () => this.applyOperation(managed, 'START', 'background')));
    await Promise.all(restarts);
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
   * runs the program of its name from the programs directory.
   */
  async create(request: NewProcessRequest, startNow: boolean): Promise<ProcessReading> {
    this.refuseChangesWhenShuttingDown();
    if (!this.options.partitions.has(request.partition)) throw new PartitionNotFoundError(request.partition);
    if (this.idsByName.has(request.name)) throw new ProcessNameTakenError(request.name);
    if (this.processes.size >= this.options.maxProcesses) throw new ProcessLimitError(this.options.maxProcesses);
    const definition: NewProcessDefinition = {
      ...request,
      command: request.command ?? [this.options.resolveProgram(request.name)],
      program: request.command ? null : request.name,
    };
    const id = this.options.store.insert(definition);
    const managed = this.register(
      { definition: { ...definition, id } },
      dormantSnapshot(definition.spec),
    );
    this.options.logger.info({ processId: id, name: definition.name }, 'process created');
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

  /** The run history of a process, newest first. */
  runs(processId: number, limit: number): StoredRun[] {
    this.managed(processId);
    return this.options.store.listRuns(processId, limit);
  }

  operate(processId: number, operation: Operation): Promise<OperationAnswer> {
    this.refuseChangesWhenShuttingDown();
    const managed = this.managed(processId);
    return this.enqueue(managed, () => this.operateNow(managed, operation));
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
    const answers = await Promise.all(
      members.map((managed) =>
        this.enqueue(managed, () => this.operateNow(managed, operation)).catch((error: unknown): OperationAnswer | null => {
          if (error instanceof ProcessNotFoundError) return null;
          if (!(error instanceof SigmaError)) throw error;
          return { process: this.readingOf(managed), outcome: { result: 'FAILED', reason: error.message } };
        }),
      ),
    );
    return answers.filter((answer): answer is OperationAnswer => answer !== null);
  }

  countIn(partition: string): PartitionCount {
    return this.countsByPartition().get(partition) ?? { processes: 0, running: 0 };
  }

  /** Every partition's counts, in one pass over the processes (partitions without any are absent). */
  countsByPartition(): Map<string, PartitionCount> {
    const counts = new Map<string, { processes: number; running: number }>();
    for (const managed of this.processes.values()) {
      const count = counts.get(managed.definition.partition) ?? { processes: 0, running: 0 };
      count.processes += 1;
      if (holdsSlot(managed.snapshot.runtime)) count.running += 1;
      counts.set(managed.definition.partition, count);
    }
    return counts;
  }

  /** Changes a partition's limits; a raised maxRunning hands its new slots to the waiting at once. */
  changePartitionLimits(partition: string, change: Partial<PartitionLimitsSet>): PartitionEntry {
    this.refuseChangesWhenShuttingDown();
    const entry = this.options.partitions.changeLimits(partition, change);
    this.grantFreeSlots();
    return entry;
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
    return this.enqueue(managed, async () => {
      if (managed.deleted) throw new ProcessNotFoundError(`id ${processId}`);
      if (managed.snapshot.runtime.phase !== 'DORMANT') await this.applyOperation(managed, 'STOP', 'acknowledged');
      await this.endStraysOf(managed);
      this.options.store.remove(processId);
      managed.deleted = true;
      this.timers.cancel(processId);
      this.processes.delete(processId);
      this.idsByName.delete(managed.definition.name);
      this.options.logs.remove(processId);
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
    for (const managed of this.processes.values()) managed.job?.kill();
  }

  /** Ends every job (grace, then kill) and records it, keeping each intent for the next boot. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const halts = [...this.processes.values()].map((managed) =>
      this.enqueue(managed, () => this.apply(managed, { kind: 'SHUTDOWN' }, 'background')),
    );
    await Promise.allSettled(halts);
    if (this.options.findStraysByMark || [...this.processes.values()].some((managed) => managed.lastJobOutsideCgroup)) {
      await endStrays(this.options.nodeId, null, SHUTDOWN_STRAY_GRACE_MS, this.options.logger);
    }
    this.closed = true;
    this.timers.cancelAll();
  }

  private async operateNow(managed: ManagedProcess, operation: Operation): Promise<OperationAnswer> {
    if (managed.deleted) throw new ProcessNotFoundError(`id ${managed.definition.id}`);
    const outcome = await this.applyOperation(managed, operation, 'acknowledged');
    if (operation === 'STOP') await this.endStraysOf(managed);
    return { process: this.readingOf(managed), outcome };
  }

  private async endStraysOf(managed: ManagedProcess): Promise<void> {
    if (!this.options.findStraysByMark && !managed.lastJobOutsideCgroup) return;
    await endStrays(this.options.nodeId, managed.definition.id, managed.definition.spec.stopTimeoutMs, this.options.logger);
  }

  private async applyOperation(managed: ManagedProcess, operation: Operation, durability: Durability): Promise<Outcome> {
    const input = this.operationInput(managed, operation);
    const outcome = await this.apply(managed, input, durability);
    // decide settles every operation (test/unit/decide.*.test.ts checks each phase and input).
    if (!outcome) throw new Error(`${operation} of process ${managed.definition.id} was left unsettled`);
    return outcome;
  }

  private operationInput(managed: ManagedProcess, operation: Operation): Input {
    const slotFree = this.slots.isFreeFor(managed.definition.id);
    switch (operation) {
      case 'START':
      case 'RESUME':
        return { kind: operation, slotFree };
      case 'STOP':
      case 'SUSPEND':
        return { kind: operation };
    }
  }

  /** decide -> persist -> act, following up on spawns and terminations until the step settles. */
  private async apply(managed: ManagedProcess, first: Input, durability: Durability): Promise<Outcome | undefined> {
    let outcome: Outcome | undefined;
    let input: Input | null = first;
    while (input && !this.closed) {
      // One sync per operation: its own decision (the intent the operator asked for) reaches the
      // disk before the answer; its follow-ups (the job's pid, its end) are written at once and
      // synced with the next acknowledged write: a crash of the daemon loses none of them, and a
      // power cut leaves no job to record anyway.
      const writeDurability = isOperation(first.kind) && input === first ? durability : 'background';
      const before = managed.snapshot;
      const decision = decide(before, input, this.options.clock());
      // Only the first write of a step may fail it (after that, something has happened on the
      // node), and never a STOP or SUSPEND: with the disk full, a job must still be stoppable.
      const failRequest = input === first && (first.kind === 'START' || first.kind === 'RESUME');
      const change = { before, after: decision.next, run: decision.run ?? null, jobStartTicks: managed.job?.startTicks ?? null };
      persistDecision(this.options.store, managed.definition.id, change, writeDurability, (error) => {
        if (failRequest) throw error;
        this.options.logger.error({ err: error, processId: managed.definition.id }, 'could not store a change that has happened');
      });
      managed.snapshot = decision.next;
      if (decision.run) this.options.events.emit(managed.definition, decision.run.endedAtMs, { type: 'run', run: decision.run });
      this.slots.track(managed.definition.id, before.runtime, decision.next.runtime);
      if (jobOf(decision.next.runtime) === null) managed.job = null;
      if (decision.outcome) outcome = decision.outcome;
      input = null;
      for (const effect of decision.effects) input = (await this.act(managed, effect)) ?? input;
    }
    this.reportStateChange(managed, first);
    this.grantFreeSlots();
    return outcome;
  }

  private async act(managed: ManagedProcess, effect: Effect): Promise<Input | null> {
    const id = managed.definition.id;
    switch (effect.kind) {
      case 'SPAWN_JOB':
        // Whatever goes wrong on the way to a job is a failed spawn, never a step left LAUNCHING.
        return this.spawnJob(managed).catch((error: unknown) => ({ kind: 'SPAWN_FAILED', error: String(error) }) as const);
      case 'SIGNAL_GROUP':
        await managed.job?.signal(effect.signal);
        return null;
      case 'END_GROUP': {
        const job = managed.job;
        if (!job) return { kind: 'JOB_ENDED', pid: effect.pid, exitCode: null, signal: null };
        job.terminate(effect.graceMs);
        const end = await job.ended;
        return { kind: 'JOB_ENDED', pid: job.pid, ...end };
      }
      case 'ARM_RELEASE':
        this.timers.arm(id, effect.atMs);
        return null;
      case 'CANCEL_RELEASE':
        this.timers.cancel(id);
        return null;
    }
  }

  private async spawnJob(managed: ManagedProcess): Promise<Input> {
    const { definition } = managed;
    let command = definition.command;
    if (definition.program !== null) {
      // Resolved again at every spawn: the programs directory may have changed since.
      try {
        command = [this.options.resolveProgram(definition.program)];
      } catch (error) {
        return { kind: 'SPAWN_FAILED', error: (error as Error).message };
      }
    }
    const { runtime } = managed.snapshot;
    const releaseAtMs = runtime.phase === 'LAUNCHING' ? runtime.releaseAtMs : null;
    const launched = await this.options.launcher.launch({
      command,
      cwd: definition.cwd,
      env: withReleasePoint(managed.jobEnv, releaseAtMs),
      output: this.options.logs.acquire(definition.id),
      stragglerGraceMs: definition.spec.stopTimeoutMs,
      jobKey: `process-${definition.id}`,
      partition: definition.partition,
      needsCgroup: this.options.partitions.hasCgroupLimits(definition.partition),
    });
    if (!launched.ok) return { kind: 'SPAWN_FAILED', error: launched.error };
    const job = launched.job;
    managed.job = job;
    managed.lastJobOutsideCgroup = !job.inCgroup;
    void job.ended.then((end) => {
      if (managed.deleted || this.closed) return;
      void this.enqueue(managed, () => this.apply(managed, { kind: 'JOB_ENDED', pid: job.pid, ...end }, 'background'));
    });
    return { kind: 'JOB_SPAWNED', pid: job.pid };
  }

  private onReleaseTimer(processId: number): void {
    // After the I/O of this turn of the event loop: a job that exited while the loop was busy
    // is seen to have ended before the release is decided, not taken for an overrun.
    setImmediate(() => {
      const managed = this.processes.get(processId);
      if (!managed || this.shuttingDown) return;
      void this.enqueue(managed, () =>
        this.apply(managed, { kind: 'RELEASE', slotFree: this.slots.isFreeFor(processId) }, 'background'),
      );
    });
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
        return this.apply(managed, { kind: 'SLOT_GRANTED' }, 'background');
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
    };
    this.processes.set(entry.definition.id, managed);
    this.idsByName.set(entry.definition.name, entry.definition.id);
    return managed;
  }

  private readingOf(managed: ManagedProcess): ProcessReading {
    return { definition: managed.definition, snapshot: managed.snapshot, outputError: this.options.logs.errorOf(managed.definition.id) };
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

  private reportStateChange(managed: ManagedProcess, cause: Input): void {
    const from = managed.reportedState;
    const to = wireStateOf(managed.snapshot.runtime);
    if (from === to) return;
    managed.reportedState = to;
    const { id, name } = managed.definition;
    // Operations are logged at info; the steady beat of releases and exits only at debug.
    const level = isOperation(cause.kind) || cause.kind === 'SHUTDOWN' ? 'info' : 'debug';
    this.options.logger[level]({ processId: id, name, from, to, cause: cause.kind }, 'state changed');
    this.options.events.emit(managed.definition, this.options.clock(), { type: 'state', from, to, reason: cause.kind });
  }
}


