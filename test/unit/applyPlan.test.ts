// The plan of `sigma apply`: from the file's processes and the node's to the steps, without a daemon.
import { describe, expect, it } from 'vitest';
import type { ProcessJson } from '../../src/cli/apiTypes.js';
import { changedFields, describeStep, isNoChange, operationsToReach, planApply, summarize } from '../../src/cli/apply/applyPlan.js';
import type { DesiredProcess } from '../../src/cli/apply/desiredProcess.js';

function desired(overrides: Partial<DesiredProcess> & { name: string }): DesiredProcess {
  return { type: 'ONE_SHOT', period: null, command: ['sleep', '600'], cwd: null, env: {}, partition: null, stopTimeoutMs: 5000, restart: null, timeCapacityMs: null, onDeadlineMiss: null, nice: null, node: null, labels: {}, relocatable: false, state: 'started', line: 2, ...overrides };
}

let nextId = 1;
function onNode(overrides: Partial<ProcessJson> & { name: string }): ProcessJson {
  return {
    id: nextId++,
    partition: 'default',
    state: 'DORMANT',
    type: 'ONE_SHOT',
    period: null,
    command: ['sleep', '600'],
    cwd: null,
    env: {},
    stopTimeoutMs: 5000,
    restart: null,
    timeCapacityMs: null,
    onDeadlineMiss: null,
    nice: null,
    pid: null,
    startedAt: null,
    nextReleaseAt: null,
    lastExit: null,
    outputError: null,
    runs: 0,
    overruns: 0,
    skipped: 0,
    failures: 0,
    restarts: 0,
    deadlineMisses: 0,
    createdAt: '2026-11-27T21:00:00.000Z',
    ...overrides,
  };
}

describe('planApply', () => {
  it('creates what is missing, started at once by POST state RUNNING when it is wanted started', () => {
    const plan = planApply([desired({ name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date'], env: { TZ: 'UTC' } })], [], false);
    expect(plan.steps).toEqual([
      {
        kind: 'create',
        name: 'ticker',
        body: { name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date'], env: { TZ: 'UTC' }, stopTimeoutMs: 5000, state: 'RUNNING' },
        operations: [],
        desired: 'started',
      },
    ]);
    expect(describeStep(plan.steps[0]!)).toBe('+ create ticker: PERIODIC every 1s, started');
  });

  it('creates a process wanted stopped DORMANT, one wanted suspended started then suspended, and leaves out a missing command', () => {
    const plan = planApply(
      [desired({ name: 'idle', state: 'stopped', cwd: '/srv' }), desired({ name: 'parked', state: 'suspended', command: null })],
      [],
      false,
    );
    expect(plan.steps).toMatchObject([
      { kind: 'create', body: { name: 'idle', type: 'ONE_SHOT', command: ['sleep', '600'], cwd: '/srv', stopTimeoutMs: 5000 }, operations: [] },
      { kind: 'create', body: { name: 'parked', type: 'ONE_SHOT', stopTimeoutMs: 5000, state: 'RUNNING' }, operations: ['SUSPEND'] },
    ]);
    expect(plan.steps[0]).not.toHaveProperty('body.state');
    expect(plan.steps[1]).not.toHaveProperty('body.command');
  });

  it('patches a DORMANT process that differs, with only the fields that differ, then brings it to its state', () => {
    const plan = planApply([desired({ name: 'web', env: { MODE: 'dev' }, stopTimeoutMs: 2000 })], [onNode({ id: 7, name: 'web', env: { MODE: 'prod' } })], false);
    expect(plan.steps).toEqual([
      {
        kind: 'update',
        id: 7,
        name: 'web',
        changed: ['env', 'stopTimeoutMs'],
        patch: { env: { MODE: 'dev' }, stopTimeoutMs: 2000 },
        stopFirst: false,
        from: 'DORMANT',
        operations: ['START'],
        desired: 'started',
      },
    ]);
    expect(describeStep(plan.steps[0]!)).toBe('~ update web: env, stopTimeoutMs, then start');
  });

  it('creates a process in the partition the file gives, and replaces one that is in another (a partition is fixed at creation)', () => {
    const plan = planApply(
      [desired({ name: 'new', partition: 'lab' }), desired({ name: 'moved', partition: 'lab' }), desired({ name: 'unsaid' })],
      [onNode({ id: 4, name: 'moved', partition: 'default', state: 'RUNNING' }), onNode({ id: 5, name: 'unsaid', partition: 'ops', state: 'RUNNING' })],
      false,
    );
    expect(plan.steps[0]).toMatchObject({ kind: 'create', body: { name: 'new', partition: 'lab', state: 'RUNNING' } });
    expect(plan.steps[1]).toEqual({
      kind: 'replace',
      id: 4,
      name: 'moved',
      from: 'RUNNING',
      fixed: 'partition',
      was: 'default',
      body: { name: 'moved', type: 'ONE_SHOT', command: ['sleep', '600'], partition: 'lab', stopTimeoutMs: 5000, state: 'RUNNING' },
      operations: [],
      desired: 'started',
    });
    expect(describeStep(plan.steps[1]!)).toBe(
      '-/+ replace moved: partition default -> lab (a partition is fixed at creation: deleted (RUNNING: its job is stopped) and created again, started)',
    );
    // No partition in the file: where the process is is not compared.
    expect(plan.steps[2]).toMatchObject({ kind: 'unchanged', name: 'unsaid' });
    expect(summarize(plan, 'f.yaml', true)).toBe('plan: 1 to create, 1 to replace, 1 unchanged (dry run: nothing was changed)');
  });

  it('in a fleet, creates on the node and with the placement the file gives, and replaces one on another node or relocatable otherwise', () => {
    const plan = planApply(
      [
        desired({ name: 'placed', labels: { rig: 'a' }, relocatable: true }),
        desired({ name: 'elsewhere', node: 'rig-b' }),
        desired({ name: 'pinned', relocatable: true }),
        desired({ name: 'here', node: 'rig-a' }),
      ],
      [
        onNode({ id: 4, name: 'elsewhere', node: 'rig-a', nodeStatus: 'up', relocatable: false, state: 'RUNNING' }),
        onNode({ id: 5, name: 'pinned', node: 'rig-a', nodeStatus: 'up', relocatable: false, state: 'RUNNING' }),
        onNode({ id: 6, name: 'here', node: 'rig-a', nodeStatus: 'up', relocatable: false, state: 'RUNNING' }),
      ],
      false,
    );
    expect(plan.steps[0]).toMatchObject({ kind: 'create', body: { name: 'placed', placement: { labels: { rig: 'a' } }, relocatable: true } });
    expect(plan.steps[1]).toMatchObject({ kind: 'replace', fixed: 'node', was: 'rig-a', body: { node: 'rig-b' } });
    expect(describeStep(plan.steps[1]!)).toBe(
      "-/+ replace elsewhere: node rig-a -> rig-b (a process's node is fixed at creation: deleted (RUNNING: its job is stopped) and created again, started)",
    );
    expect(describeStep(plan.steps[2]!)).toBe(
      '-/+ replace pinned: relocatable false -> true (whether it is relocatable is fixed at creation: deleted (RUNNING: its job is stopped) and created again, started)',
    );
    expect(plan.steps[3]).toMatchObject({ kind: 'unchanged', name: 'here' });
    // On a node on its own (no node in its answers), the node and the flag are not compared.
    const alone = planApply([desired({ name: 'solo', node: 'rig-a', relocatable: true })], [onNode({ id: 7, name: 'solo', state: 'RUNNING' })], false);
    expect(alone.steps[0]).toMatchObject({ kind: 'unchanged' });
  });

  it('stops a live process that differs, patches it, and starts it again, and says so', () => {
    for (const state of ['RUNNING', 'WAITING', 'READY', 'SUSPENDEND'] as const) {
      const wanted = state === 'SUSPENDEND' ? 'suspended' : 'started';
      const plan = planApply(
        [desired({ name: 'tick', type: 'PERIODIC', period: 500, state: wanted })],
        [onNode({ id: 3, name: 'tick', type: 'PERIODIC', period: 1000, state, runs: 4 })],
        false,
      );
      const step = plan.steps[0]!;
      expect(step).toMatchObject({ kind: 'update', stopFirst: true, changed: ['period'], patch: { type: 'PERIODIC', period: 500 } });
      expect(step).toHaveProperty('operations', wanted === 'suspended' ? ['START', 'SUSPEND'] : ['START']);
      expect(describeStep(step)).toBe(
        `~ update tick: period (it is ${state}: stop, update, ${wanted === 'suspended' ? 'start, suspend' : 'start'} again)`,
      );
    }
  });

  it('stops, patches and leaves stopped a live process wanted stopped', () => {
    const step = planApply([desired({ name: 'w', command: ['true'], state: 'stopped' })], [onNode({ name: 'w', state: 'RUNNING' })], false).steps[0]!;
    expect(step).toMatchObject({ kind: 'update', stopFirst: true, operations: [], patch: { command: ['true'] } });
    expect(describeStep(step)).toBe('~ update w: command (it is RUNNING: stop, update, leave stopped)');
  });

  it('sends the type with the period, and a change to ONE_SHOT without one', () => {
    const toOneShot = planApply([desired({ name: 'p' })], [onNode({ name: 'p', type: 'PERIODIC', period: 1000 })], false).steps[0]!;
    expect(toOneShot).toMatchObject({ kind: 'update', changed: ['type', 'period'], patch: { type: 'ONE_SHOT' } });
    expect(toOneShot).not.toHaveProperty('patch.period');
    const toPeriodic = planApply([desired({ name: 'p', type: 'PERIODIC', period: 250 })], [onNode({ name: 'p' })], false).steps[0]!;
    expect(toPeriodic).toMatchObject({ patch: { type: 'PERIODIC', period: 250 } });
  });

  it('only changes the state of a process whose definition matches', () => {
    const plan = planApply(
      [desired({ name: 'a', state: 'stopped' }), desired({ name: 'b', state: 'started' }), desired({ name: 'c', state: 'suspended' })],
      [onNode({ id: 1, name: 'a', state: 'RUNNING' }), onNode({ id: 2, name: 'b', state: 'SUSPENDEND' }), onNode({ id: 3, name: 'c', state: 'RUNNING' })],
      false,
    );
    expect(plan.steps).toEqual([
      { kind: 'state', id: 1, name: 'a', from: 'RUNNING', operations: ['STOP'], desired: 'stopped' },
      { kind: 'state', id: 2, name: 'b', from: 'SUSPENDEND', operations: ['RESUME'], desired: 'started' },
      { kind: 'state', id: 3, name: 'c', from: 'RUNNING', operations: ['SUSPEND'], desired: 'suspended' },
    ]);
    expect(plan.steps.map(describeStep)).toEqual(['> stop a: RUNNING -> stopped', '> resume b: SUSPENDEND -> started', '> suspend c: RUNNING -> suspended']);
  });

  it('changes nothing when the node matches, whatever the order of env keys, and says so', () => {
    const plan = planApply(
      [desired({ name: 'a', env: { X: '1', Y: '2' } }), desired({ name: 'b', command: null, state: 'stopped' })],
      [onNode({ name: 'a', state: 'RUNNING', env: { Y: '2', X: '1' } }), onNode({ name: 'b', command: ['/data/programs/b'] })],
      false,
    );
    expect(isNoChange(plan)).toBe(true);
    expect(summarize(plan, 'sigma.yaml', false)).toBe('nothing to change: the node matches sigma.yaml (2 processes)');
  });

  it('deletes what the file does not list only with prune, and names it otherwise', () => {
    const current = [onNode({ id: 1, name: 'kept' }), onNode({ id: 2, name: 'old', state: 'RUNNING' })];
    const withoutPrune = planApply([desired({ name: 'kept', state: 'stopped' })], current, false);
    expect(withoutPrune.steps.map((step) => step.kind)).toEqual(['unchanged']);
    expect(summarize(withoutPrune, 'f.yaml', false)).toBe(
      'nothing to change: the node matches f.yaml (1 processes); 1 on the node not in the file (--prune deletes them): old',
    );
    const pruned = planApply([desired({ name: 'kept', state: 'stopped' })], current, true);
    expect(pruned.steps).toEqual([
      { kind: 'unchanged', id: 1, name: 'kept', state: 'DORMANT' },
      { kind: 'delete', id: 2, name: 'old', from: 'RUNNING' },
    ]);
    expect(describeStep(pruned.steps[1]!)).toBe('- delete old: not in the file (RUNNING: its job is stopped)');
    expect(summarize(pruned, 'f.yaml', true)).toBe('plan: 1 to delete, 1 unchanged (dry run: nothing was changed)');
    expect(summarize(pruned, 'f.yaml', false)).toBe('applied: 1 deleted, 1 unchanged');
  });

  it('runs a process wanted "once" only if it has never run', () => {
    expect(planApply([desired({ name: 'job', state: 'once' })], [onNode({ name: 'job', runs: 0 })], false).steps[0]).toMatchObject({ kind: 'state', operations: ['START'] });
    expect(planApply([desired({ name: 'job', state: 'once' })], [onNode({ name: 'job', runs: 1 })], false).steps[0]).toMatchObject({ kind: 'unchanged' });
    expect(planApply([desired({ name: 'job', state: 'once' })], [], false).steps[0]).toMatchObject({ kind: 'create', body: { state: 'RUNNING' } });
  });
});

describe('operationsToReach', () => {
  const table: Array<[string, DesiredProcess['state'], string[]]> = [
    ['DORMANT', 'started', ['START']],
    ['WAITING', 'started', []],
    ['READY', 'started', []],
    ['RUNNING', 'started', []],
    ['SUSPENDEND', 'started', ['RESUME']],
    ['DORMANT', 'stopped', []],
    ['WAITING', 'stopped', ['STOP']],
    ['READY', 'stopped', ['STOP']],
    ['RUNNING', 'stopped', ['STOP']],
    ['SUSPENDEND', 'stopped', ['STOP']],
    ['DORMANT', 'suspended', ['START', 'SUSPEND']],
    ['WAITING', 'suspended', ['SUSPEND']],
    ['READY', 'suspended', ['SUSPEND']],
    ['RUNNING', 'suspended', ['SUSPEND']],
    ['SUSPENDEND', 'suspended', []],
    ['RUNNING', 'once', []],
    ['SUSPENDEND', 'once', []],
  ];
  it.each(table)('%s to %s: %j', (state, wanted, operations) => {
    expect(operationsToReach(state, 1, wanted)).toEqual(operations);
  });
});

describe('changedFields', () => {
  it('compares every definition field, and the command only when the file gives one', () => {
    const base = onNode({ name: 'x', type: 'PERIODIC', period: 10, command: ['a'], cwd: '/a', env: { A: '1' }, stopTimeoutMs: 1 });
    const same = desired({ name: 'x', type: 'PERIODIC', period: 10, command: ['a'], cwd: '/a', env: { A: '1' }, stopTimeoutMs: 1 });
    expect(changedFields(same, base)).toEqual([]);
    expect(changedFields({ ...same, command: null }, base)).toEqual([]);
    expect(changedFields({ ...same, command: ['a', 'b'], cwd: null, env: {}, stopTimeoutMs: 2, period: 11 }, base)).toEqual([
      'period',
      'command',
      'cwd',
      'env',
      'stopTimeoutMs',
    ]);
    expect(changedFields({ ...same, env: { A: '2' } }, base)).toEqual(['env']);
  });
});
