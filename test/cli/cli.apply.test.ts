// sigma apply -f FILE against a real daemon: creates, updates (a live process by stop, update,
// start), brings states, prunes, dry runs, changes nothing the second time, and refuses an
// invalid file with line numbers; puts processes in the partitions the file gives.
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
  await deleteAllProcesses(daemon);
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

async function processes(): Promise<Record<string, { id: number; state: string; pid: number | null; env: Record<string, string>; cwd: string | null; period: number | null; type: string }>> {
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
        'sigma.yaml:6: processes[1]: unknown field "commnd" (did you mean "command"?); the fields are name, partition, type, period, command, cwd, env, stopTimeoutMs, state',
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
});
