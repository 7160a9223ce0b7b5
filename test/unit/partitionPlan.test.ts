// The partitions' part of `sigma apply`'s plan: from the file's partitions and the node's to the
// steps, their order around the processes' steps, their lines and the summary, without a daemon.
import { describe, expect, it } from 'vitest';
import type { PartitionJson } from '../../src/cli/apiTypes.js';
import { describeStep, isNoChange, orderedSteps, planApply, summarize } from '../../src/cli/apply/applyPlan.js';
import type { DesiredPartition } from '../../src/cli/apply/desiredPartition.js';
import type { DesiredProcess } from '../../src/cli/apply/desiredProcess.js';
import { planPartitions } from '../../src/cli/apply/partitionPlan.js';

const NO_LIMITS = { maxRunning: null, cpu: null, memoryBytes: null, pids: null };

function declared(name: string, limits: Partial<DesiredPartition['limits']> = {}): DesiredPartition {
  return { name, limits: { ...NO_LIMITS, ...limits }, line: 2 };
}

function onNode(name: string, limits: Partial<DesiredPartition['limits']> = {}): PartitionJson {
  return {
    name,
    ...NO_LIMITS,
    ...limits,
    maxProcesses: 1000,
    definitionBytes: 67_108_864,
    processes: 0,
    definitionBytesUsed: 0,
    running: 0,
    unenforced: [],
    usage: { cpuMs: null, memoryBytes: null, pids: null },
    createdAt: '2026-11-27T21:00:00.000Z',
  };
}

function process(name: string, partition: string | null = null): DesiredProcess {
  return { name, type: 'ONE_SHOT', period: null, command: ['sleep', '600'], cwd: null, env: {}, partition, stopTimeoutMs: 5000, restart: null, timeCapacityMs: null, onDeadlineMiss: null, nice: null, node: null, labels: {}, relocatable: false, state: 'stopped', line: 9 };
}

describe('planPartitions', () => {
  it('creates a missing partition with the limits the file sets, and says them in human units', () => {
    const plan = planPartitions([declared('lab', { maxRunning: 2, cpu: 0.5, memoryBytes: 268_435_456 }), declared('bare')], [onNode('default')], false);
    expect(plan.before).toEqual([
      { kind: 'partition-create', name: 'lab', body: { name: 'lab', maxRunning: 2, cpu: 0.5, memoryBytes: 268_435_456 } },
      { kind: 'partition-create', name: 'bare', body: { name: 'bare' } },
    ]);
    expect(plan.before.map(describeStep)).toEqual(['+ create partition lab: maxRunning 2, cpu 0.5, memory 256Mi', '+ create partition bare: no limits']);
    expect(plan.after).toEqual([]);
  });

  it('gives a listed partition exactly the file\'s limits: a changed one is sent, one the file leaves out is sent as null', () => {
    const plan = planPartitions([declared('lab', { maxRunning: 2, pids: 32 })], [onNode('lab', { maxRunning: 2, cpu: 0.5, pids: 64 })], false);
    expect(plan.before).toEqual([
      {
        kind: 'partition-update',
        name: 'lab',
        changes: [
          { limit: 'cpu', from: 0.5, to: null },
          { limit: 'pids', from: 64, to: 32 },
        ],
        body: { cpu: null, pids: 32 },
      },
    ]);
    expect(describeStep(plan.before[0]!)).toBe('~ update partition lab: cpu 0.5 -> none, pids 64 -> 32');
    const memory = planPartitions([declared('lab', { memoryBytes: 1_073_741_824 })], [onNode('lab', { memoryBytes: 268_435_456 })], false);
    expect(describeStep(memory.before[0]!)).toBe('~ update partition lab: memory 256Mi -> 1Gi');
  });

  it('leaves a partition whose limits match alone, and sets the limits of default without ever creating or deleting it', () => {
    const plan = planPartitions(
      [declared('lab', { cpu: 1 }), declared('default', { maxRunning: 8 })],
      [onNode('default'), onNode('lab', { cpu: 1 })],
      true,
    );
    expect(plan.before).toEqual([
      { kind: 'partition-unchanged', name: 'lab' },
      { kind: 'partition-update', name: 'default', changes: [{ limit: 'maxRunning', from: null, to: 8 }], body: { maxRunning: 8 } },
    ]);
    expect(plan.after).toEqual([]);
    // A partition token does not see default: it is compared with no limits, never created.
    expect(planPartitions([declared('default')], [onNode('lab')], false).before).toEqual([{ kind: 'partition-unchanged', name: 'default' }]);
    expect(planPartitions([declared('default', { pids: 64 })], [onNode('lab')], false).before).toMatchObject([{ kind: 'partition-update', body: { pids: 64 } }]);
  });

  it('deletes the partitions the file does not list only with prune (never default), and names them otherwise', () => {
    const current = [onNode('default'), onNode('lab'), onNode('old'), onNode('older')];
    expect(planPartitions([declared('lab')], current, true)).toEqual({
      before: [{ kind: 'partition-unchanged', name: 'lab' }],
      after: [
        { kind: 'partition-delete', name: 'old' },
        { kind: 'partition-delete', name: 'older' },
      ],
      unlisted: [],
    });
    expect(planPartitions([declared('lab')], current, false)).toEqual({ before: [{ kind: 'partition-unchanged', name: 'lab' }], after: [], unlisted: ['old', 'older'] });
    expect(planPartitions([], current, true).after.map(describeStep)).toEqual([
      '- delete partition lab: not in the file',
      '- delete partition old: not in the file',
      '- delete partition older: not in the file',
    ]);
  });
});

describe('planApply with partitions', () => {
  it('orders partitions created and updated first, then the processes, then partitions deleted, and counts them apart', () => {
    const partitions = planPartitions([declared('lab', { maxRunning: 2 }), declared('ops', { cpu: 0.5 })], [onNode('default'), onNode('ops'), onNode('old')], true);
    const plan = planApply([process('crunch', 'lab')], [], true, partitions);
    expect(orderedSteps(plan).map((step) => step.kind)).toEqual(['partition-create', 'partition-update', 'create', 'partition-delete']);
    expect(orderedSteps(plan).map(describeStep)).toEqual([
      '+ create partition lab: maxRunning 2',
      '~ update partition ops: cpu none -> 0.5',
      '+ create crunch: ONE_SHOT, stopped',
      '- delete partition old: not in the file',
    ]);
    expect(summarize(plan, 'f.yaml', true)).toBe('plan: 1 to create, 0 unchanged; partitions: 1 to create, 1 to update, 1 to delete, 0 unchanged (dry run: nothing was changed)');
    expect(summarize(plan, 'f.yaml', false)).toBe('applied: 1 created, 0 unchanged; partitions: 1 created, 1 updated, 1 deleted, 0 unchanged');
  });

  it('changes nothing when the partitions match too, and names the partitions not in the file without prune', () => {
    const partitions = planPartitions([declared('lab', { pids: 64 })], [onNode('default'), onNode('lab', { pids: 64 }), onNode('old')], false);
    const plan = planApply([], [], false, partitions);
    expect(isNoChange(plan)).toBe(true);
    expect(summarize(plan, 'f.yaml', false)).toBe('nothing to change: the node matches f.yaml (0 processes, 1 partition); 1 partition on the node not in the file (--prune deletes it): old');
    const changed = planApply([], [], false, planPartitions([declared('lab')], [onNode('lab', { pids: 64 })], false));
    expect(isNoChange(changed)).toBe(false);
    expect(summarize(changed, 'f.yaml', true)).toBe('plan: 0 unchanged; partitions: 1 to update, 0 unchanged (dry run: nothing was changed)');
  });

  it('says nothing of partitions when the file does not declare them', () => {
    const plan = planApply([process('crunch', 'lab')], [], false);
    expect(plan.partitions).toBeNull();
    expect(summarize(plan, 'f.yaml', true)).toBe('plan: 1 to create, 0 unchanged (dry run: nothing was changed)');
  });
});
