// Reading an apply file: what a valid file gives, and each problem reported on its line.
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
        { name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date', '-u'], cwd: null, env: {}, partition: null, stopTimeoutMs: 5000, state: 'started', line: 2 },
        {
          name: 'web',
          type: 'ONE_SHOT',
          period: null,
          command: ['sleep', '600', 'true', '1.50'],
          cwd: '/files/site',
          env: { PORT: '8000', DEBUG: 'yes' },
          partition: 'lab',
          stopTimeoutMs: 0,
          state: 'suspended',
          line: 5,
        },
        { name: 'fibonacci', type: 'ONE_SHOT', period: null, command: null, cwd: null, env: {}, partition: null, stopTimeoutMs: 5000, state: 'once', line: 13 },
      ],
    });
  });

  it('accepts an empty list', () => {
    expect(readApplyFile('processes: []\n', '/')).toEqual({ ok: true, processes: [] });
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
        '',
      ].join('\n'),
    );
    expect(found).toEqual([
      '3: processes[0]: unknown field "perod" (did you mean "period"?); the fields are name, partition, type, period, command, cwd, env, stopTimeoutMs, state',
      '4: processes[0] (ok-one).command must be a list (an argv, run without a shell), e.g. [sleep, "600"]; for a shell line write [sh, -c, "..."]',
      '5: processes[1].name must be 1 to 64 letters, digits, "_", "-" or "." (not "." or ".."), not "bad name"',
      '9: processes[2] (tick).period must be a whole number of milliseconds from 1 to 2147483647, e.g. 1000 for every second',
      '10: processes[2] (tick).state must be one of started, stopped, suspended, once',
      '13: processes[3] (single).period is only for PERIODIC processes: write "type: PERIODIC" or leave "period" out',
      '14: processes[3] (single).env: "1BAD" is not a variable name (letters, digits and _, not starting with a digit)',
      '15: processes[3] (single).stopTimeoutMs must be a whole number of milliseconds from 0 to 3600000',
      '16: processes[4]: the name "ok-one" is already used on line 2: names are unique',
      '18: processes[5]: "name" is missing: every process needs a unique name',
    ]);
  });

  it('reports a file without a process list, and unknown top-level keys', () => {
    expect(problems('')).toEqual([expect.stringMatching(/^1: the file must be a mapping with a "processes:" list/)]);
    expect(problems('version: 1\nprocesses:\n  name: x\n')).toEqual([
      '1: unknown top-level key "version": the file has only "processes:"',
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
});
