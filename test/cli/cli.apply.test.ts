// sigma apply -f FILE against a real daemon: creates, updates (a live process by stop, update,
// start), brings states, prunes, dry runs, changes nothing the second time, and refuses an
// invalid file with line numbers; puts processes in the partitions the file gives, and creates,
// limits and prunes the partitions it declares.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, deleteAllProcesses, runCli } from '../support/cliRunner.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

let daemon: SigmaDaemon;
let dir: string;
beforeAll(async () => {
  daemon = await SigmaDaemon.start();
});
afterEach(async () => {
  await cleanUpClis();
  // Every process, then every partition but default, and default's limits: each test starts from a fresh node.
  await deleteAllProcesses(daemon);
  for (const partition of (await daemon.request('GET', '/partitions')).body?.partitions ?? []) {
    if (partition.name !== 'default') await daemon.request('DELETE', `/partitions/${partition.name}`);
  }
  await daemon.request('PUT', '/partitions/default', { maxRunning: null, cpu: null, memoryBytes: null, pids: null });
  removeTempDirs();
});
afterAll(cleanUpDaemons);

function writeFile(lines: string[]): string {
  dir ??= makeTempDir('sigma-apply-');
  const path = join(dir, 'sigma.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
const apply = (...args: string[]) => runCli(['apply', ...args], { env: cliEnvFor(daemon), cwd: dir });

async function processes(): Promise<
  Record<string, { id: number; partition: string; state: string; pid: number | null; env: Record<string, string>; cwd: string | null; period: number | null; type: string }>
> {
  const listed = (await daemon.request('GET', '/processes')).body.processes;
  return Object.fromEntries(listed.map((process: { name: string }) => [process.name, process]));
}

const FILE = [
  'processes:',
  '  - name: web',
  '    command: [sleep, 300]',
  '    env: {MODE: prod}',
  '  - name: ticker',
  '    period: 60000',
  '    command: [true]',
  '    cwd: .',
  '  - name: parked',
  '    command: [sleep, 300]',
  '    state: suspended',
  '  - name: idle',
  '    command: [sleep, 300]',
  '    stopTimeoutMs: 1000',
  '    state: stopped',
];

describe('sigma apply', () => {
  it('plans with --dry-run, creates with the states asked, then changes nothing the second time', async () => {
    dir = makeTempDir('sigma-apply-');
    writeFile(FILE);

    const dry = await apply('-f', 'sigma.yaml', '--dry-run');
    expect(dry).toEqual({
      code: 0,
      stdout: [
        '+ create web: ONE_SHOT, started',
        '+ create ticker: PERIODIC every 1m, started',
        '+ create parked: ONE_SHOT, suspended',
        '+ create idle: ONE_SHOT, stopped',
        'plan: 4 to create, 0 unchanged (dry run: nothing was changed)',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(await processes()).toEqual({});

    const applied = await apply('-f', 'sigma.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    const created = await processes();
    expect(applied.stdout.split('\n')).toEqual([
      `+ create web: ONE_SHOT, started -> id ${created.web!.id}, RUNNING`,
      // The first job of a PERIODIC process may have ended already.
      expect.stringMatching(new RegExp(`^\\+ create ticker: PERIODIC every 1m, started -> id ${created.ticker!.id}, (RUNNING|WAITING)$`)),
      `+ create parked: ONE_SHOT, suspended -> id ${created.parked!.id}, SUSPENDEND`,
      `+ create idle: ONE_SHOT, stopped -> id ${created.idle!.id}, DORMANT`,
      'applied: 4 created, 0 unchanged',
      '',
    ]);
    expect(created.web).toMatchObject({ state: 'RUNNING', env: { MODE: 'prod' } });
    expect(isAlive(created.web!.pid as number)).toBe(true);
    expect(created.ticker).toMatchObject({ type: 'PERIODIC', period: 60000, cwd: dir });
    expect(['RUNNING', 'WAITING']).toContain(created.ticker!.state);
    expect(procState(created.parked!.pid as number)).toBe('T');
    expect(created.idle).toMatchObject({ state: 'DORMANT', stopTimeoutMs: 1000 });

    const again = await apply('-f', 'sigma.yaml');
    expect(again).toEqual({ code: 0, stdout: 'nothing to change: the node matches sigma.yaml (4 processes)\n', stderr: '' });
    const after = await processes();
    expect(after.web!.pid).toBe(created.web!.pid);
    expect(after.parked!.pid).toBe(created.parked!.pid);
  });

  it('updates a running process by stop, update, start, and says so; changes states; prunes only with --prune', async () => {
    dir = makeTempDir('sigma-apply-');
    writeFile(FILE);
    expect((await apply('-f', 'sigma.yaml')).code).toBe(0);
    const before = await processes();
    await daemon.create({ name: 'stray', command: ['sleep', '300'], state: 'RUNNING' });

    const changed = FILE.map((line) => line.replace('MODE: prod', 'MODE: dev')).filter((_line, index) => index < 11 || index > 14);
    changed.splice(10, 1, '    state: started'); // parked: suspended -> started
    writeFile(changed);

    const dry = await apply('-f', 'sigma.yaml', '--prune', '--dry-run');
    expect(dry.stdout).toBe(
      [
        '~ update web: env (it is RUNNING: stop, update, start again)',
        '> resume parked: SUSPENDEND -> started',
        '- delete idle: not in the file',
        '- delete stray: not in the file (RUNNING: its job is stopped)',
        'plan: 1 to update, 1 to start, stop or suspend, 2 to delete, 1 unchanged (dry run: nothing was changed)',
        '',
      ].join('\n'),
    );

    const withoutPrune = await apply('-f', 'sigma.yaml');
    expect(withoutPrune.code, withoutPrune.stderr).toBe(0);
    expect(withoutPrune.stdout).toBe(
      [
        '~ update web: env (it is RUNNING: stop, update, start again) -> RUNNING',
        '> resume parked: SUSPENDEND -> started -> RUNNING',
        'applied: 1 updated, 1 started, stopped or suspended, 1 unchanged; 2 on the node not in the file (--prune deletes them): idle, stray',
        '',
      ].join('\n'),
    );
    const updated = await processes();
    expect(updated.web).toMatchObject({ state: 'RUNNING', env: { MODE: 'dev' } });
    expect(updated.web!.pid).not.toBe(before.web!.pid);
    await waitFor(`the old job ${before.web!.pid} to be gone`, () => isAlive(before.web!.pid as number), (alive) => !alive, 5000);
    expect(updated.parked).toMatchObject({ state: 'RUNNING', pid: before.parked!.pid });
    expect(procState(updated.parked!.pid as number), 'running again').toMatch(/^[RS]$/);
    expect(Object.keys(updated).sort()).toEqual(['idle', 'parked', 'stray', 'ticker', 'web']);

    const pruned = await apply('-f', 'sigma.yaml', '--prune');
    expect(pruned).toMatchObject({ code: 0, stdout: expect.stringMatching(/^- delete idle: not in the file -> deleted\n- delete stray: .* -> deleted\napplied: 2 deleted, 3 unchanged\n$/) });
    expect(Object.keys(await processes()).sort()).toEqual(['parked', 'ticker', 'web']);
    expect(await apply('-f', 'sigma.yaml', '--prune')).toMatchObject({ code: 0, stdout: 'nothing to change: the node matches sigma.yaml (3 processes)\n' });
  });

  it('refuses an invalid file with each problem on its line, and changes nothing', async () => {
    dir = makeTempDir('sigma-apply-');
    writeFile(['processes:', '  - name: good', '    command: [true]', '  - name: bad', '    period: soon', '    commnd: [x]']);
    const invalid = await apply('-f', 'sigma.yaml');
    expect(invalid).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        'sigma.yaml:5: processes[1] (bad).period must be a whole number of milliseconds from 1 to 2147483647, e.g. 1000 for every second',
        'sigma.yaml:6: processes[1]: unknown field "commnd" (did you mean "command"?); the fields are name, partition, type, period, command, cwd, env, stopTimeoutMs, restart, timeCapacityMs, onDeadlineMiss, nice, node, placement, relocatable, state',
        'sigma: sigma.yaml is not valid (2 problems): nothing was changed',
        '',
      ].join('\n'),
    });
    writeFile(['processes:', '  - name: good', '    command: [true', '']);
    const broken = await apply('-f', 'sigma.yaml');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^sigma\.yaml:\d+: not valid YAML: /);
    expect(await apply('-f', 'missing.yaml')).toEqual({ code: 2, stdout: '', stderr: 'sigma: cannot read missing.yaml (ENOENT): give an existing file with -f\n' });
    expect(await processes()).toEqual({});
  });

  it('creates a process in the partition the file gives, and replaces it when the file moves it to another', async () => {
    dir = makeTempDir('sigma-apply-');
    expect((await daemon.request('POST', '/partitions', { name: 'lab' })).status).toBe(201);
    writeFile(['processes:', '  - name: crunch', '    partition: lab', '    command: [sleep, 300]']);
    const first = await apply('-f', 'sigma.yaml');
    expect(first.code, first.stderr).toBe(0);
    const created = (await daemon.request('GET', '/processes?process_name=crunch')).body.processes[0];
    expect(created).toMatchObject({ partition: 'lab', state: 'RUNNING' });

    writeFile(['processes:', '  - name: crunch', '    partition: default', '    command: [sleep, 300]']);
    const plan = await apply('-f', 'sigma.yaml', '--dry-run');
    expect(plan.stdout).toContain('-/+ replace crunch: partition lab -> default (a partition is fixed at creation: deleted (RUNNING: its job is stopped) and created again, started)\n');
    const moved = await apply('-f', 'sigma.yaml');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/-> id \d+, RUNNING\n/);
    const replaced = (await daemon.request('GET', '/processes?process_name=crunch')).body.processes[0];
    expect(replaced).toMatchObject({ partition: 'default', state: 'RUNNING' });
    expect(replaced.id).not.toBe(created.id);
    await daemon.process(replaced.id);
    expect((await apply('-f', 'sigma.yaml')).stdout).toMatch(/^nothing to change/);
    await deleteAllProcesses(daemon);
    expect((await daemon.request('DELETE', '/partitions/lab')).status).toBe(204);
  });

  describe('with partitions', () => {
    const partition = async (name: string) => {
      const reply = await daemon.request('GET', `/partitions/${name}`);
      return reply.status === 200 ? reply.body.partitions[0] : null;
    };
    /** Each stderr line is a warning that a limit of lab does not hold on this node (said, never hidden), if any. */
    const onlyUnenforcedWarnings = (stderr: string) => {
      for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^sigma: warning: the (cpu|memory|pids) limit of lab does not hold: /);
    };
    const labFile = (limits: string[]) => ['partitions:', '  - name: lab', ...limits, 'processes:', '  - name: crunch', '    partition: lab', '    command: [sleep, 300]'];

    it('creates a declared partition with its limits before its process, sets exactly the limits the file gives, prunes it after its processes, and dry runs', async () => {
      dir = makeTempDir('sigma-apply-');
      writeFile(labFile(['    maxRunning: 2', '    cpu: 0.5', '    memoryBytes: 256MiB', '    pids: 64']));

      const dry = await apply('-f', 'sigma.yaml', '--dry-run');
      expect(dry).toEqual({
        code: 0,
        stdout: [
          '+ create partition lab: maxRunning 2, cpu 0.5, memory 256Mi, pids 64',
          '+ create crunch: ONE_SHOT, started',
          'plan: 1 to create, 0 unchanged; partitions: 1 to create, 0 unchanged (dry run: nothing was changed)',
          '',
        ].join('\n'),
        stderr: '',
      });
      expect(await partition('lab')).toBeNull();
      expect(await processes()).toEqual({});

      const applied = await apply('-f', 'sigma.yaml');
      expect(applied.code, applied.stderr).toBe(0);
      const created = await processes();
      await daemon.process(created.crunch!.id);
      expect(applied.stdout).toBe(
        [
          '+ create partition lab: maxRunning 2, cpu 0.5, memory 256Mi, pids 64 -> created',
          `+ create crunch: ONE_SHOT, started -> id ${created.crunch!.id}, RUNNING`,
          'applied: 1 created, 0 unchanged; partitions: 1 created, 0 unchanged',
          '',
        ].join('\n'),
      );
      onlyUnenforcedWarnings(applied.stderr);
      expect(await partition('lab')).toMatchObject({ maxRunning: 2, cpu: 0.5, memoryBytes: 268_435_456, pids: 64, processes: 1, running: 1 });
      expect(created.crunch).toMatchObject({ partition: 'lab', state: 'RUNNING' });
      expect(isAlive(created.crunch!.pid as number)).toBe(true);

      // cpu left out: removed; pids changed; the process, unchanged, keeps its job.
      writeFile(labFile(['    maxRunning: 2', '    memoryBytes: 268435456', '    pids: 32']));
      const changed = await apply('-f', 'sigma.yaml');
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stdout).toBe('~ update partition lab: cpu 0.5 -> none, pids 64 -> 32 -> updated\napplied: 1 unchanged; partitions: 1 updated, 0 unchanged\n');
      onlyUnenforcedWarnings(changed.stderr);
      expect(await partition('lab')).toMatchObject({ maxRunning: 2, cpu: null, memoryBytes: 268_435_456, pids: 32, processes: 1 });
      expect((await processes()).crunch).toMatchObject({ state: 'RUNNING', pid: created.crunch!.pid });
      expect(await apply('-f', 'sigma.yaml')).toMatchObject({ code: 0, stdout: 'nothing to change: the node matches sigma.yaml (1 processes, 1 partition)\n' });

      // Without "partitions:" the partition is left alone, even with --prune.
      writeFile(['processes:', '  - name: crunch', '    partition: lab', '    command: [sleep, 300]']);
      expect(await apply('-f', 'sigma.yaml', '--prune')).toMatchObject({ code: 0, stdout: 'nothing to change: the node matches sigma.yaml (1 processes)\n' });

      writeFile(['partitions: []', 'processes: []']);
      const prunePlan = [
        '- delete crunch: not in the file (RUNNING: its job is stopped)',
        '- delete partition lab: not in the file',
      ];
      const withoutPrune = await apply('-f', 'sigma.yaml', '--dry-run');
      expect(withoutPrune.stdout).toBe(
        'nothing to change: the node matches sigma.yaml (0 processes, 0 partitions); 1 on the node not in the file (--prune deletes them): crunch; 1 partition on the node not in the file (--prune deletes it): lab\n',
      );
      const dryPrune = await apply('-f', 'sigma.yaml', '--prune', '--dry-run');
      expect(dryPrune).toEqual({
        code: 0,
        stdout: [...prunePlan, 'plan: 1 to delete, 0 unchanged; partitions: 1 to delete, 0 unchanged (dry run: nothing was changed)', ''].join('\n'),
        stderr: '',
      });
      expect(await partition('lab')).toMatchObject({ processes: 1 });
      expect((await processes()).crunch).toMatchObject({ state: 'RUNNING', pid: created.crunch!.pid });

      const pruned = await apply('-f', 'sigma.yaml', '--prune');
      expect(pruned).toEqual({
        code: 0,
        stdout: [...prunePlan.map((line) => `${line} -> deleted`), 'applied: 1 deleted, 0 unchanged; partitions: 1 deleted, 0 unchanged', ''].join('\n'),
        stderr: '',
      });
      expect(await partition('lab')).toBeNull();
      expect(await partition('default')).not.toBeNull();
      expect(await processes()).toEqual({});
      await waitFor(`the job ${created.crunch!.pid} to be gone`, () => isAlive(created.crunch!.pid as number), (alive) => !alive, 5000);
    });

    it('sets the limits of default; refuses before any change a process whose partition is nowhere; reports a partition that cannot be pruned', async () => {
      dir = makeTempDir('sigma-apply-');
      writeFile(['partitions:', '  - name: default', '    maxRunning: 8', 'processes: []']);
      expect(await apply('-f', 'sigma.yaml', '--prune')).toMatchObject({ code: 0, stdout: '~ update partition default: maxRunning none -> 8 -> updated\napplied: 0 unchanged; partitions: 1 updated, 0 unchanged\n' });
      expect(await partition('default')).toMatchObject({ maxRunning: 8 });

      writeFile(['partitions:', '  - name: lab', 'processes:', '  - name: a', '    command: [true]', '  - name: b', '    partition: nowhere', '    command: [true]']);
      expect(await apply('-f', 'sigma.yaml')).toEqual({
        code: 3,
        stdout: '',
        stderr: [
          'sigma.yaml:6: processes[1] (b).partition: there is no partition "nowhere" on the node, and the file does not declare it: add it under "partitions:", or create it with `sigma partition create nowhere`',
          'sigma: sigma.yaml names partitions that the node does not have (1 problem): nothing was changed',
          '',
        ].join('\n'),
      });
      expect(await partition('lab')).toBeNull();
      expect(await processes()).toEqual({});

      // A process the file lists without a partition stays where it is: the prune of its partition is refused, and said.
      expect((await daemon.request('POST', '/partitions', { name: 'old' })).status).toBe(201);
      expect((await daemon.create({ name: 'keeper', partition: 'old', command: ['sleep', '300'] })).status).toBe(201);
      writeFile(['partitions: []', 'processes:', '  - name: keeper', '    command: [sleep, 300]', '    state: stopped']);
      const refused = await apply('-f', 'sigma.yaml', '--prune');
      expect(refused).toEqual({
        code: 6,
        stdout: '- delete partition old: not in the file -> not done\napplied: 1 unchanged; partitions: 0 unchanged; 1 not done: partition old\n',
        stderr: 'sigma: partition old: partition "old" has a process: delete it first (SIGMA_ERR_PARTITION_NOT_EMPTY); `sigma ps --partition old` lists them\n',
      });
      expect(await partition('old')).toMatchObject({ processes: 1 });
    });

    it('with a partition token: sees its own partition only, and a partition it may not create ends the run with status 4 before any process', async () => {
      dir = makeTempDir('sigma-apply-');
      expect((await daemon.request('POST', '/partitions', { name: 'lab', pids: 64 })).status).toBe(201);
      const token = (await daemon.request('POST', '/partitions/lab/tokens', {})).body.tokens[0].token as string;
      const asLab = (...args: string[]) => runCli(['apply', ...args], { env: { ...cliEnvFor(daemon), SIGMA_TOKEN: token }, cwd: dir });
      writeFile(['partitions:', '  - name: lab', '    pids: 64', '  - name: more', 'processes:', '  - name: crunch', '    partition: lab', '    command: [sleep, 300]']);

      expect(await asLab('-f', 'sigma.yaml', '--dry-run')).toMatchObject({
        code: 0,
        stdout: '+ create partition more: no limits\n+ create crunch: ONE_SHOT, started\nplan: 1 to create, 0 unchanged; partitions: 1 to create, 1 unchanged (dry run: nothing was changed)\n',
      });
      const refused = await asLab('-f', 'sigma.yaml');
      expect(refused.code).toBe(4);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^sigma: this token is for partition lab: .*\(SIGMA_ERR_OUT_OF_SCOPE\)\n$/);
      expect(await partition('more')).toBeNull();
      expect(await processes()).toEqual({});
    });
  });
});
