// Reading an apply file: what a valid file gives (processes and partitions), and each problem reported on its line.
import { describe, expect, it } from 'vitest';
import { readApplyFile } from '../../src/cli/apply/applyFile.js';

function problems(text: string): string[] {
  const reading = readApplyFile(text, '/files');
  if (reading.ok) throw new Error(`expected problems, got ${JSON.stringify(reading.processes)}`);
  return reading.problems.map((problem) => `${problem.line}: ${problem.message}`);
}

describe('readApplyFile', () => {
  it('reads every field, keeps words as written, defaults the rest, and resolves cwd from the file', () => {
    const reading = readApplyFile(
      [
        'processes:',
        '  - name: ticker',
        '    period: 1000',
        '    command: [date, -u]',
        '    timeCapacityMs: 500',
        '    onDeadlineMiss: stop',
        '  - name: web',
        '    type: one_shot',
        '    partition: lab',
        '    command: [sleep, 600, true, 1.50]',
        '    cwd: ./site',
        '    env: {PORT: 8000, DEBUG: "yes"}',
        '    stopTimeoutMs: 0',
        '    state: suspended',
        '  - name: fibonacci',
        '    state: once',
        '',
      ].join('\n'),
      '/files',
    );
    expect(reading).toEqual({
      ok: true,
      processes: [
        { name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date', '-u'], cwd: null, env: {}, partition: null, stopTimeoutMs: 5000, restart: null, timeCapacityMs: 500, onDeadlineMiss: 'stop', nice: null, node: null, labels: {}, relocatable: false, state: 'started', line: 2 },
        {
          name: 'web',
          type: 'ONE_SHOT',
          period: null,
          command: ['sleep', '600', 'true', '1.50'],
          cwd: '/files/site',
          env: { PORT: '8000', DEBUG: 'yes' },
          partition: 'lab',
          stopTimeoutMs: 0,
          restart: null,
          timeCapacityMs: null,
          onDeadlineMiss: null,
          nice: null,
          node: null,
          labels: {},
          relocatable: false,
          state: 'suspended',
          line: 7,
        },
        { name: 'fibonacci', type: 'ONE_SHOT', period: null, command: null, cwd: null, env: {}, partition: null, stopTimeoutMs: 5000, restart: null, timeCapacityMs: null, onDeadlineMiss: null, nice: null, node: null, labels: {}, relocatable: false, state: 'once', line: 15 },
      ],
      partitions: null,
    });
  });

  it('accepts an empty list', () => {
    expect(readApplyFile('processes: []\n', '/')).toEqual({ ok: true, processes: [], partitions: null });
  });

  it('reports YAML syntax errors with their line', () => {
    const found = problems('processes:\n  - name: a\n    command: [sleep, 1\n  - name: b\n');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^\d+: not valid YAML: /);
  });

  it('reports each invalid field on its own line, with what to write instead', () => {
    const found = problems(
      [
        'processes:', // 1
        '  - name: ok-one', // 2
        '    perod: 1000', // 3
        '    command: sleep 600', // 4
        '  - name: "bad name"', // 5
        '    command: [true]', // 6
        '  - name: tick', // 7
        '    type: PERIODIC', // 8
        '    period: 1s', // 9
        '    state: running', // 10
        '  - name: single', // 11
        '    type: ONE_SHOT', // 12
        '    period: 100', // 13
        '    env: {1BAD: x}', // 14
        '    stopTimeoutMs: -1', // 15
        '  - name: ok-one', // 16
        '    command: [true]', // 17
        '  - command: [true]', // 18
        '  - name: slow', // 19
        '    period: 100', // 20
        '    timeCapacityMs: 101', // 21
        '  - name: moot', // 22
        '    onDeadlineMiss: stop', // 23
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      '3: processes[0]: unknown field "perod" (did you mean "period"?); the fields are name, partition, type, period, command, cwd, env, stopTimeoutMs, restart, timeCapacityMs, onDeadlineMiss, nice, node, placement, relocatable, state',
      '4: processes[0] (ok-one).command must be a list (an argv, run without a shell), e.g. [sleep, "600"]; for a shell line write [sh, -c, "..."]',
      '5: processes[1].name must be 1 to 64 letters, digits, "_", "-" or "." (not "." or ".."), not "bad name"',
      '9: processes[2] (tick).period must be a whole number of milliseconds from 1 to 2147483647, e.g. 1000 for every second',
      '10: processes[2] (tick).state must be one of started, stopped, suspended, once',
      '13: processes[3] (single).period is only for PERIODIC processes: write "type: PERIODIC" or leave "period" out',
      '14: processes[3] (single).env: "1BAD" is not a variable name (letters, digits and _, not starting with a digit)',
      '15: processes[3] (single).stopTimeoutMs must be a whole number of milliseconds from 0 to 3600000',
      '16: processes[4]: the name "ok-one" is already used on line 2: names are unique',
      '18: processes[5]: "name" is missing: every process needs a unique name',
      "21: processes[6] (slow).timeCapacityMs (101) must not be above period (100): a job's deadline comes no later than its next release",
      '23: processes[7] (moot).onDeadlineMiss needs timeCapacityMs: without a time capacity a job has no deadline to miss',
    ]);
  });

  it('reports a file without a process list, and unknown top-level keys', () => {
    expect(problems('')).toEqual([expect.stringMatching(/^1: the file must be a mapping with a "processes:" list/)]);
    expect(problems('version: 1\nprocesses:\n  name: x\n')).toEqual([
      '1: unknown top-level key "version": the file has only "partitions:" and "processes:"',
      '3: "processes" must be a list of processes ("- name: ..." entries)',
    ]);
    expect(problems('processes:\n  - name: p\n    type: PERIODIC\n    command: [x]\n')).toEqual(['3: processes[0] (p).type PERIODIC needs "period" (milliseconds)']);
    expect(problems('processes:\n  - name: p\n    partition: "a b"\n')).toEqual([
      '3: processes[0] (p).partition must be a partition name: 1 to 64 letters, digits, "_", "-" or "." (not "." or "..")',
    ]);
    expect(problems('processes:\n  - name: p\n    period: 5\n    state: once\n')).toEqual([
      '4: processes[0] (p).state "once" is for ONE_SHOT processes; a PERIODIC one is started or stopped',
    ]);
  });

  it('reads partitions: every limit, sizes with units or in bytes, null as no limit, default listed like any other', () => {
    const reading = readApplyFile(
      [
        'partitions:', // 1
        '  - name: lab', // 2
        '    maxRunning: 2', // 3
        '    cpu: 0.5', // 4
        '    memoryBytes: 256MiB', // 5
        '    pids: 64', // 6
        '  - name: bytes', // 7
        '    memoryBytes: 268435456', // 8
        '    cpu: 2', // 9
        '  - name: units', // 10
        '    memoryBytes: 1Gi', // 11
        '  - name: decimal', // 12
        '    memoryBytes: 512M', // 13
        '    pids: ~', // 14
        '  - name: default', // 15
        '    maxRunning: 8', // 16
        'processes:', // 17
        '  - name: crunch', // 18
        '    partition: lab', // 19
        '',
      ].join('\n'),
      '/files',
    );
    expect(reading).toMatchObject({ ok: true, processes: [{ name: 'crunch', partition: 'lab', line: 18 }] });
    if (!reading.ok) throw new Error('expected a valid file');
    expect(reading.partitions).toEqual([
      { name: 'lab', limits: { maxRunning: 2, cpu: 0.5, memoryBytes: 268_435_456, pids: 64 }, line: 2 },
      { name: 'bytes', limits: { maxRunning: null, cpu: 2, memoryBytes: 268_435_456, pids: null }, line: 7 },
      { name: 'units', limits: { maxRunning: null, cpu: null, memoryBytes: 1_073_741_824, pids: null }, line: 10 },
      { name: 'decimal', limits: { maxRunning: null, cpu: null, memoryBytes: 512_000_000, pids: null }, line: 12 },
      { name: 'default', limits: { maxRunning: 8, cpu: null, memoryBytes: null, pids: null }, line: 15 },
    ]);
    expect(readApplyFile('partitions: []\nprocesses: []\n', '/')).toEqual({ ok: true, processes: [], partitions: [] });
  });

  it('reports each invalid partition field on its own line, unknown fields, and names used twice', () => {
    const found = problems(
      [
        'partitions:', // 1
        '  - name: lab', // 2
        '    maxRunning: 0', // 3
        '    cpu: 0.001', // 4
        '    memoryBytes: 1Ki', // 5
        '    pids: 1', // 6
        '  - name: "bad name"', // 7
        '    cpu: half', // 8
        '    memoryBytes: lots', // 9
        '  - name: odd', // 10
        '    maxrunning: 2', // 11
        '    maxRunning: 1.5', // 12
        '    memoryBytes: 1.5', // 13
        '    pids: 4194305', // 14
        '  - name: lab', // 15
        '    memory: 1Gi', // 16
        '  - cpu: 1', // 17
        '  - just-a-name', // 18
        'processes: []', // 19
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      '3: partitions[0] (lab).maxRunning must be a whole number of running slots from 1 to 100000; leave it out for no limit',
      '4: partitions[0] (lab).cpu must be a share of one core from 0.01 to 1024 (0.5: half a core, 2: two cores); leave it out for no limit',
      '5: partitions[0] (lab).memoryBytes must be at least 1Mi (1048576 bytes), not 1024 bytes',
      '6: partitions[0] (lab).pids must be a whole number of tasks (processes and threads) from 2 to 4194304; leave it out for no limit',
      '7: partitions[1].name must be 1 to 64 letters, digits, "_", "-" or "." (not "." or ".."), not "bad name"',
      '8: partitions[1].cpu must be a share of one core from 0.01 to 1024 (0.5: half a core, 2: two cores); leave it out for no limit',
      '9: partitions[1].memoryBytes must be a size in bytes, like 268435456, 256Mi, 256MiB, 512M or 1Gi; leave it out for no limit',
      '11: partitions[2]: unknown field "maxrunning" (did you mean "maxRunning"?); the fields are name, maxRunning, cpu, memoryBytes, pids',
      '12: partitions[2] (odd).maxRunning must be a whole number of running slots from 1 to 100000; leave it out for no limit',
      '13: partitions[2] (odd).memoryBytes must be a size in bytes, like 268435456, 256Mi, 256MiB, 512M or 1Gi; leave it out for no limit',
      '14: partitions[2] (odd).pids must be a whole number of tasks (processes and threads) from 2 to 4194304; leave it out for no limit',
      '15: partitions[3]: the name "lab" is already used on line 2: names are unique',
      '16: partitions[3]: unknown field "memory" (did you mean "memoryBytes"?); the fields are name, maxRunning, cpu, memoryBytes, pids',
      '17: partitions[4]: "name" is missing: every partition needs a unique name',
      '18: partitions[5] must be a mapping (name: ..., maxRunning: ..., ...)',
    ]);
  });

  it('reports a "partitions" that is not a list, and a file with partitions but no "processes:"', () => {
    expect(problems('partitions:\n  name: lab\nprocesses: []\n')).toEqual([
      '2: "partitions" must be a list of partitions ("- name: ..." entries), or [] for none but default',
    ]);
    expect(problems('partitions:\n  - name: lab\n    cpu: -1\n')).toEqual([
      '1: "processes:" is missing: list the processes ("- name: ..." entries), or write "processes: []" for none',
      '3: partitions[0] (lab).cpu must be a share of one core from 0.01 to 1024 (0.5: half a core, 2: two cores); leave it out for no limit',
    ]);
  });
});
