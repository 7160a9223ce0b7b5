// What `sigma apply` does to the node's partitions when the file declares them: pure, from the
// file's partitions and the node's to steps. A listed partition gets exactly the file's limits
// (one left out is removed); with --prune, those the file does not list are deleted (never default).
import type { PartitionJson, PartitionLimitsJson } from '../apiTypes.js';
import { formatByteSize } from '../byteSize.js';
import { DEFAULT_PARTITION } from '../../core/partition.js';
import type { DesiredPartition } from './desiredPartition.js';

type LimitName = keyof PartitionLimitsJson;
const LIMIT_NAMES: readonly LimitName[] = ['maxRunning', 'cpu', 'memoryBytes', 'pids'];
const NO_LIMITS: PartitionLimitsJson = { maxRunning: null, cpu: null, memoryBytes: null, pids: null };

export interface LimitChange {
  limit: LimitName;
  from: number | null;
  to: number | null;
}

export type PartitionStep =
  | {
      kind: 'partition-create';
      name: string;
      /** The body of POST /partitions: the name and the limits the file sets. */
      body: { name: string } & Partial<PartitionLimitsJson>;
    }
  | {
      kind: 'partition-update';
      name: string;
      changes: LimitChange[];
      /** The body of PUT /partitions/{name}: only the limits that differ, null for one to remove. */
      body: Partial<PartitionLimitsJson>;
    }
  | { kind: 'partition-delete'; name: string }
  | { kind: 'partition-unchanged'; name: string };

export interface PartitionPlan {
  /** Creations and updates (and the unchanged), in the file's order: carried out before the processes, which may need them. */
  before: PartitionStep[];
  /** Deletions (--prune): after the processes, so that the processes pruned have left them. */
  after: PartitionStep[];
  /** Partitions on the node that the file does not list, left alone without --prune. */
  unlisted: string[];
}

export function isPartitionStep(step: { kind: string }): step is PartitionStep {
  return step.kind.startsWith('partition-');
}

export function planPartitions(desired: DesiredPartition[], current: PartitionJson[], prune: boolean): PartitionPlan {
  const byName = new Map(current.map((existing) => [existing.name, existing]));
  const listed = new Set(desired.map((wanted) => wanted.name));
  const before = desired.map((wanted): PartitionStep => {
    const existing = byName.get(wanted.name);
    if (existing) return planExisting(wanted, existing);
    // default always exists; only a partition token does not see it: compared with no limits,
    // so that a limit the file sets for it is sent, and the API answers whether this token may.
    if (wanted.name === DEFAULT_PARTITION) return planExisting(wanted, NO_LIMITS);
    const body: { name: string } & Partial<PartitionLimitsJson> = { name: wanted.name };
    for (const limit of LIMIT_NAMES) if (wanted.limits[limit] !== null) body[limit] = wanted.limits[limit];
    return { kind: 'partition-create', name: wanted.name, body };
  });
  const unlisted = current.map((existing) => existing.name).filter((name) => !listed.has(name) && name !== DEFAULT_PARTITION);
  return {
    before,
    after: prune ? unlisted.map((name): PartitionStep => ({ kind: 'partition-delete', name })) : [],
    unlisted: prune ? [] : unlisted,
  };
}

function planExisting(wanted: DesiredPartition, existing: PartitionLimitsJson): PartitionStep {
  const changes = LIMIT_NAMES.filter((limit) => wanted.limits[limit] !== existing[limit]).map((limit) => ({
    limit,
    from: existing[limit],
    to: wanted.limits[limit],
  }));
  if (changes.length === 0) return { kind: 'partition-unchanged', name: wanted.name };
  const body: Partial<PartitionLimitsJson> = {};
  for (const change of changes) body[change.limit] = change.to;
  return { kind: 'partition-update', name: wanted.name, changes, body };
}

/** "maxRunning", "cpu", "memory" (the size in human units), "pids". */
function limitWord(limit: LimitName): string {
  return limit === 'memoryBytes' ? 'memory' : limit;
}

function limitValue(limit: LimitName, value: number | null): string {
  if (value === null) return 'none';
  return limit === 'memoryBytes' ? formatByteSize(value) : String(value);
}

/** One line of the plan, e.g. `~ update partition lab: cpu 0.5 -> none, pids 64 -> 32`. */
export function describePartitionStep(step: PartitionStep): string {
  switch (step.kind) {
    case 'partition-create': {
      const limits = LIMIT_NAMES.filter((limit) => step.body[limit] !== undefined).map((limit) => `${limitWord(limit)} ${limitValue(limit, step.body[limit] ?? null)}`);
      return `+ create partition ${step.name}: ${limits.length > 0 ? limits.join(', ') : 'no limits'}`;
    }
    case 'partition-update':
      return `~ update partition ${step.name}: ${step.changes.map(({ limit, from, to }) => `${limitWord(limit)} ${limitValue(limit, from)} -> ${limitValue(limit, to)}`).join(', ')}`;
    case 'partition-delete':
      return `- delete partition ${step.name}: not in the file`;
    case 'partition-unchanged':
      return `= partition ${step.name}: as in the file`;
  }
}

/** The partitions' part of the closing line, e.g. `partitions: 1 created, 2 unchanged`; the steps `notDone` are not counted. */
export function summarizePartitions(plan: PartitionPlan, dryRun: boolean, notDone: ReadonlySet<unknown>): string {
  const steps = [...plan.before, ...plan.after].filter((step) => !notDone.has(step));
  const count = (kind: PartitionStep['kind']): number => steps.filter((step) => step.kind === kind).length;
  const counts: Array<[PartitionStep['kind'], string, string]> = [
    ['partition-create', 'to create', 'created'],
    ['partition-update', 'to update', 'updated'],
    ['partition-delete', 'to delete', 'deleted'],
  ];
  const parts = counts.filter(([kind]) => count(kind) > 0).map(([kind, planned, done]) => `${count(kind)} ${dryRun ? planned : done}`);
  parts.push(`${count('partition-unchanged')} unchanged`);
  return `partitions: ${parts.join(', ')}`;
}

/** The note on the partitions that the file does not list, left alone without --prune; '' if none. */
export function unlistedPartitionsNote(plan: PartitionPlan): string {
  const count = plan.unlisted.length;
  if (count === 0) return '';
  return `; ${count} partition${count === 1 ? '' : 's'} on the node not in the file (--prune deletes ${count === 1 ? 'it' : 'them'}): ${plan.unlisted.join(', ')}`;
}
