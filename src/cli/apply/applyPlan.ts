// What `sigma apply` has to do to make the node match a file: pure, from the file's processes
// and the node's current ones to a list of steps (the HTTP calls are made by applyRun); the
// partitions' steps are planned by partitionPlan and ordered around the processes' here.
import type { Operation, ProcessJson } from '../apiTypes.js';
import { formatMs } from '../displayValues.js';
import type { DesiredProcess, DesiredState } from './desiredProcess.js';
import { sameRestart, type DesiredRestart } from './restartEntry.js';
import {
  describePartitionStep,
  isPartitionStep,
  summarizePartitions,
  unlistedPartitionsNote,
  type PartitionPlan,
  type PartitionStep,
} from './partitionPlan.js';

export type DefinitionField = 'type' | 'period' | 'command' | 'cwd' | 'env' | 'stopTimeoutMs' | 'restart' | 'timeCapacityMs' | 'onDeadlineMiss' | 'nice';

export type PlanStep =
  | {
      kind: 'create';
      name: string;
      /** The body of POST /processes; state RUNNING when it is to be started. */
      body: Record<string, unknown>;
      /** Operations after the creation (SUSPEND for a process wanted suspended). */
      operations: Operation[];
      desired: DesiredState;
    }
  | {
      kind: 'update';
      id: number;
      name: string;
      changed: DefinitionField[];
      /** The body of PATCH /processes/{id}: only the fields that differ. */
      patch: Record<string, unknown>;
      /** PATCH is refused unless DORMANT: a live process is stopped first, then brought back. */
      stopFirst: boolean;
      from: string;
      operations: Operation[];
      desired: DesiredState;
    }
  | {
      /**
       * The file puts it in another partition, or (in a fleet) on another node or with another
       * relocatable flag, which are fixed at creation: deleted, then created again.
       */
      kind: 'replace';
      id: number;
      name: string;
      from: string;
      /** What is fixed at creation and differs, and its value on the node now. */
      fixed: 'partition' | 'node' | 'relocatable';
      was: string;
      body: Record<string, unknown>;
      operations: Operation[];
      desired: DesiredState;
    }
  | { kind: 'state'; id: number; name: string; from: string; operations: Operation[]; desired: DesiredState }
  | { kind: 'delete'; id: number; name: string; from: string }
  | { kind: 'unchanged'; id: number; name: string; state: string };

export interface ApplyPlan {
  steps: PlanStep[];
  /** Processes on the node that the file does not list, left alone without --prune. */
  unlisted: string[];
  /** null: the file does not declare partitions, and the node's are not touched. */
  partitions: PartitionPlan | null;
}

/** A step of either kind, as carried out and printed. */
export type ApplyStep = PlanStep | PartitionStep;

export function planApply(desired: DesiredProcess[], current: ProcessJson[], prune: boolean, partitions: PartitionPlan | null = null): ApplyPlan {
  const byName = new Map(current.map((existing) => [existing.name, existing]));
  const listed = new Set(desired.map((wanted) => wanted.name));
  const steps: PlanStep[] = desired.map((wanted) => {
    const existing = byName.get(wanted.name);
    return existing ? planExisting(wanted, existing) : planCreate(wanted);
  });
  const unlistedProcesses = current.filter((existing) => !listed.has(existing.name));
  if (prune) {
    for (const unlisted of unlistedProcesses) steps.push({ kind: 'delete', id: unlisted.id, name: unlisted.name, from: unlisted.state });
  }
  return { steps, unlisted: prune ? [] : unlistedProcesses.map((unlisted) => unlisted.name), partitions };
}

/** The order of execution: partitions created and updated, then the processes, then partitions deleted (they must be empty by then). */
export function orderedSteps(plan: ApplyPlan): ApplyStep[] {
  return [...(plan.partitions?.before ?? []), ...plan.steps, ...(plan.partitions?.after ?? [])];
}

export function isUnchanged(step: ApplyStep): step is Extract<ApplyStep, { kind: 'unchanged' | 'partition-unchanged' }> {
  return step.kind === 'unchanged' || step.kind === 'partition-unchanged';
}

const FIXED_WORDS = { partition: 'a partition', node: "a process's node", relocatable: 'whether it is relocatable' } as const;

export function isNoChange(plan: ApplyPlan): boolean {
  return orderedSteps(plan).every(isUnchanged);
}

function planCreate(wanted: DesiredProcess): Extract<PlanStep, { kind: 'create' }> {
  const body: Record<string, unknown> = { name: wanted.name, type: wanted.type };
  if (wanted.period !== null) body.period = wanted.period;
  if (wanted.command !== null) body.command = wanted.command;
  if (wanted.cwd !== null) body.cwd = wanted.cwd;
  if (Object.keys(wanted.env).length > 0) body.env = wanted.env;
  if (wanted.partition !== null) body.partition = wanted.partition;
  body.stopTimeoutMs = wanted.stopTimeoutMs;
  if (wanted.restart !== null) body.restart = wanted.restart;
  if (wanted.timeCapacityMs !== null) body.timeCapacityMs = wanted.timeCapacityMs;
  if (wanted.onDeadlineMiss !== null) body.onDeadlineMiss = wanted.onDeadlineMiss;
  if (wanted.nice !== null) body.nice = wanted.nice;
  if (wanted.node !== null) body.node = wanted.node;
  if (Object.keys(wanted.labels).length > 0) body.placement = { labels: wanted.labels };
  if (wanted.relocatable) body.relocatable = true;
  const operations = operationsToReach('DORMANT', 0, wanted.state);
  if (operations[0] === 'START') {
    body.state = 'RUNNING';
    operations.shift();
  }
  return { kind: 'create', name: wanted.name, body, operations, desired: wanted.state };
}

/** What the file wants otherwise than the node has, of what only a new process can change; null: none. */
function fixedAtCreation(wanted: DesiredProcess, existing: ProcessJson): { fixed: 'partition' | 'node' | 'relocatable'; was: string } | null {
  if (wanted.partition !== null && wanted.partition !== existing.partition) return { fixed: 'partition', was: existing.partition };
  // Compared in a fleet only: a node on its own lists no node.
  if (wanted.node !== null && existing.node !== undefined && wanted.node !== existing.node) return { fixed: 'node', was: existing.node };
  if (existing.relocatable !== undefined && wanted.relocatable !== existing.relocatable) return { fixed: 'relocatable', was: String(existing.relocatable) };
  return null;
}

function planExisting(wanted: DesiredProcess, existing: ProcessJson): PlanStep {
  const fixed = fixedAtCreation(wanted, existing);
  if (fixed) {
    const { body, operations, desired } = planCreate(wanted);
    return { kind: 'replace', id: existing.id, name: existing.name, from: existing.state, ...fixed, body, operations, desired };
  }
  const changed = changedFields(wanted, existing);
  if (changed.length > 0) {
    const stopFirst = existing.state !== 'DORMANT';
    // A process that was live comes back live: `once` then means "run it again", as before the change.
    const desired: DesiredState = wanted.state === 'once' && stopFirst ? 'started' : wanted.state;
    return {
      kind: 'update',
      id: existing.id,
      name: existing.name,
      changed,
      patch: patchBody(wanted, changed),
      stopFirst,
      from: existing.state,
      operations: operationsToReach('DORMANT', stopFirst ? 0 : existing.runs, desired),
      desired: wanted.state,
    };
  }
  const operations = operationsToReach(existing.state, existing.runs, wanted.state);
  if (operations.length === 0) return { kind: 'unchanged', id: existing.id, name: existing.name, state: existing.state };
  return { kind: 'state', id: existing.id, name: existing.name, from: existing.state, operations, desired: wanted.state };
}

/** The operations that take a process from `state` to the wanted condition (see docs/state-model.md). */
export function operationsToReach(state: string, runs: number, wanted: DesiredState): Operation[] {
  const started = state === 'WAITING' || state === 'READY' || state === 'RUNNING';
  switch (wanted) {
    case 'started':
      if (state === 'DORMANT') return ['START'];
      if (state === 'SUSPENDEND') return ['RESUME'];
      return [];
    case 'stopped':
      return state === 'DORMANT' ? [] : ['STOP'];
    case 'suspended':
      if (state === 'DORMANT') return ['START', 'SUSPEND'];
      return started ? ['SUSPEND'] : [];
    case 'once':
      return state === 'DORMANT' && runs === 0 ? ['START'] : [];
  }
}

export function changedFields(wanted: DesiredProcess, existing: ProcessJson): DefinitionField[] {
  const changed: DefinitionField[] = [];
  if (wanted.type !== existing.type) changed.push('type');
  if (wanted.period !== existing.period) changed.push('period');
  if (wanted.command !== null && !sameList(wanted.command, existing.command)) changed.push('command');
  if (wanted.cwd !== existing.cwd) changed.push('cwd');
  if (!sameEnv(wanted.env, existing.env)) changed.push('env');
  if (wanted.stopTimeoutMs !== existing.stopTimeoutMs) changed.push('stopTimeoutMs');
  if (!sameRestart(wanted.restart, existing.restart as DesiredRestart | null)) changed.push('restart');
  if (wanted.timeCapacityMs !== existing.timeCapacityMs) changed.push('timeCapacityMs');
  if (wanted.onDeadlineMiss !== existing.onDeadlineMiss) changed.push('onDeadlineMiss');
  if (wanted.nice !== existing.nice) changed.push('nice');
  return changed;
}

function patchBody(wanted: DesiredProcess, changed: DefinitionField[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const field of changed) {
    if (field === 'type' || field === 'period') {
      // The type and the period go together: ONE_SHOT drops the period, PERIODIC needs one.
      patch.type = wanted.type;
      if (wanted.period !== null) patch.period = wanted.period;
    } else if (field === 'onDeadlineMiss') {
      // Without a time capacity there is no action to send: removing the capacity removes it.
      if (wanted.onDeadlineMiss !== null) patch.onDeadlineMiss = wanted.onDeadlineMiss;
    } else {
      patch[field] = wanted[field];
    }
  }
  return patch;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

const STATE_WORDS: Record<DesiredState, string> = { started: 'started', stopped: 'stopped', suspended: 'suspended', once: 'run once' };

/** One line of the plan, e.g. `~ update web: command, env (RUNNING: stop, update, start again)`. */
export function describeStep(step: ApplyStep): string {
  if (isPartitionStep(step)) return describePartitionStep(step);
  switch (step.kind) {
    case 'create': {
      const kind = step.body.period === undefined ? String(step.body.type) : `${String(step.body.type)} every ${formatMs(step.body.period as number)}`;
      return `+ create ${step.name}: ${kind}, ${STATE_WORDS[step.desired]}`;
    }
    case 'update': {
      const how = step.stopFirst
        ? ` (it is ${step.from}: stop, update, ${step.operations.length > 0 ? `${step.operations.map(verb).join(', ')} again` : 'leave stopped'})`
        : step.operations.length > 0
          ? `, then ${step.operations.map(verb).join(', ')}`
          : '';
      return `~ update ${step.name}: ${step.changed.join(', ')}${how}`;
    }
    case 'replace':
      return `-/+ replace ${step.name}: ${step.fixed} ${step.was} -> ${String(step.body[step.fixed] ?? false)} (${FIXED_WORDS[step.fixed]} is fixed at creation: deleted${step.from === 'DORMANT' ? '' : ` (${step.from}: its job is stopped)`} and created again, ${STATE_WORDS[step.desired]})`;
    case 'state':
      return `> ${step.operations.map(verb).join(', ')} ${step.name}: ${step.from} -> ${STATE_WORDS[step.desired]}`;
    case 'delete':
      return `- delete ${step.name}: not in the file${step.from === 'DORMANT' ? '' : ` (${step.from}: its job is stopped)`}`;
    case 'unchanged':
      return `= ${step.name}: ${step.state}, as in the file`;
  }
}

function verb(operation: Operation): string {
  return operation.toLowerCase();
}

/** The closing line: what was (or would be) done, or that nothing had to change; `notDone`: the steps that failed, not counted as done. */
export function summarize(plan: ApplyPlan, fileName: string, dryRun: boolean, notDone: ReadonlySet<ApplyStep> = new Set()): string {
  const count = (kind: PlanStep['kind']): number => plan.steps.filter((step) => step.kind === kind && !notDone.has(step)).length;
  const unlistedProcesses = plan.unlisted.length > 0 ? `; ${plan.unlisted.length} on the node not in the file (--prune deletes them): ${plan.unlisted.join(', ')}` : '';
  const unlisted = `${unlistedProcesses}${plan.partitions ? unlistedPartitionsNote(plan.partitions) : ''}`;
  if (isNoChange(plan)) {
    const partitionCount = plan.partitions?.before.length ?? null;
    const partitions = partitionCount === null ? '' : `, ${partitionCount} partition${partitionCount === 1 ? '' : 's'}`;
    return `nothing to change: the node matches ${fileName} (${count('unchanged')} processes${partitions})${unlisted}`;
  }
  const counts: Array<[PlanStep['kind'], string, string]> = [
    ['create', 'to create', 'created'],
    ['update', 'to update', 'updated'],
    ['replace', 'to replace', 'replaced'],
    ['state', 'to start, stop or suspend', 'started, stopped or suspended'],
    ['delete', 'to delete', 'deleted'],
  ];
  const parts = counts.filter(([kind]) => count(kind) > 0).map(([kind, planned, done]) => `${count(kind)} ${dryRun ? planned : done}`);
  parts.push(`${count('unchanged')} unchanged`);
  const partitions = plan.partitions ? `; ${summarizePartitions(plan.partitions, dryRun, notDone)}` : '';
  const failed = [...notDone].map((step) => (isPartitionStep(step) ? `partition ${step.name}` : step.name));
  const failures = failed.length > 0 ? `; ${failed.length} not done: ${failed.join(', ')}` : '';
  return `${dryRun ? 'plan' : 'applied'}: ${parts.join(', ')}${partitions}${failures}${dryRun ? ' (dry run: nothing was changed)' : ''}${unlisted}`;
}
