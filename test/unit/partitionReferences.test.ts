// Before `sigma apply` changes anything: the partitions the file's processes name exist or are declared,
// and --prune does not delete one from under them.
import { describe, expect, it } from 'vitest';
import type { DesiredProcess } from '../../src/cli/apply/desiredProcess.js';
import { partitionReferenceProblems } from '../../src/cli/apply/partitionReferences.js';

function process(name: string, partition: string | null, line: number): DesiredProcess {
  return { name, type: 'ONE_SHOT', period: null, command: ['true'], cwd: null, env: {}, partition, stopTimeoutMs: 5000, restart: null, timeCapacityMs: null, onDeadlineMiss: null, nice: null, node: null, labels: {}, relocatable: false, state: 'started', line };
}
const lab = { name: 'lab', limits: { maxRunning: null, cpu: null, memoryBytes: null, pids: null }, line: 2 };

describe('partitionReferenceProblems', () => {
  it('accepts a partition on the node, one declared in the file, default, and none said', () => {
    const processes = [process('a', 'ops', 5), process('b', 'lab', 7), process('c', 'default', 9), process('d', null, 11)];
    expect(partitionReferenceProblems(processes, [lab], ['default', 'ops'], false)).toEqual({ problems: [], missing: false });
    expect(partitionReferenceProblems([process('b', 'lab', 7)], [lab], [], true)).toEqual({ problems: [], missing: false });
  });

  it('reports a partition neither on the node nor in the file, on the line of its process', () => {
    expect(partitionReferenceProblems([process('a', 'lab', 3), process('b', 'nowhere', 6)], null, ['default', 'lab'], false)).toEqual({
      problems: [
        {
          line: 6,
          message:
            'processes[1] (b).partition: there is no partition "nowhere" on the node, and the file does not declare it: add it under "partitions:", or create it with `sigma partition create nowhere`',
        },
      ],
      missing: true,
    });
  });

  it('with --prune and "partitions:", reports a partition on the node that the file does not list (the prune would delete it)', () => {
    const processes = [process('a', 'ops', 4)];
    expect(partitionReferenceProblems(processes, [lab], ['default', 'ops'], false).problems).toEqual([]);
    expect(partitionReferenceProblems(processes, null, ['default', 'ops'], true).problems).toEqual([]);
    expect(partitionReferenceProblems(processes, [lab], ['default', 'ops'], true)).toEqual({
      problems: [{ line: 4, message: 'processes[0] (a).partition: "ops" is not under "partitions:", so --prune would delete it: add it there (its limits then are the file\'s)' }],
      missing: false,
    });
  });
});
