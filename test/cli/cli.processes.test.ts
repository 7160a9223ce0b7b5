// sigma ps / create / start / suspend / resume / stop / rm / show, run as a subprocess against a
// real daemon, checked against the API and the processes in /proc.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, deleteAllProcesses, runCli, runCliOnTerminal, SCRIPT_PATH } from '../support/cliRunner.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let daemon: SigmaDaemon;
let env: Record<string, string>;
const sigma = (...args: string[]) => runCli(args, { env });

beforeAll(async () => {
  daemon = await SigmaDaemon.start();
  env = cliEnvFor(daemon);
});
afterEach(async () => {
  await cleanUpClis();
  await deleteAllProcesses(daemon);
});
afterAll(cleanUpDaemons);

const processNamed = (name: string) => daemon.processNamed(name);

describe('sigma create and sigma ps', () => {
  it('creates processes with every option, and lists them as a table, as JSON, and filtered', async () => {
    const web = await sigma('create', 'web', '--', 'sleep', '300');
    expect(web).toMatchObject({ code: 0, stderr: '' });
    expect(web.stdout).toMatch(/^created \d+ web \(ONE_SHOT\): DORMANT\n$/);

    const tick = await sigma('create', 'tick', '--periodic', '60000', '--start', '--env', 'GREETING=hi there', '--env', 'B=2', '--cwd', '/tmp', '--stop-timeout', '1000', '--', 'sh', '-c', 'echo "$GREETING"');
    expect(tick.code, tick.stderr).toBe(0);
    expect(tick.stdout).toMatch(/^created \d+ tick \(PERIODIC every 1m\): (RUNNING|WAITING)\n$/);
    const created = await processNamed('tick');
    expect(created).toMatchObject({ type: 'PERIODIC', period: 60000, command: ['sh', '-c', 'echo "$GREETING"'], cwd: '/tmp', env: { GREETING: 'hi there', B: '2' }, stopTimeoutMs: 1000 });
    expect(['RUNNING', 'WAITING']).toContain(created.state);

    const table = await sigma('ps');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+PARTITION\s+TYPE\s+PERIOD\s+STATE\s+PID\s+RUNS\s+RESTARTS\s+LAST EXIT\s+NEXT RELEASE$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^\d+\s+web\s+default\s+ONE_SHOT\s+-\s+DORMANT\s+-\s+0\s+0\s+-\s+-$/);
    expect(lines[2]).toMatch(/^\d+\s+tick\s+default\s+PERIODIC\s+1m\s+(RUNNING|WAITING)\s+/);
    expect(table.stdout).not.toContain('\u001b['); // not a terminal: no colour

    const json = await sigma('ls', '--json');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed.map((process: { name: string }) => process.name)).toEqual(['web', 'tick']);
    expect(listed[1]).toMatchObject({ env: { GREETING: 'hi there', B: '2' }, cwd: '/tmp' });

    expect((await sigma('ps', '--state', 'dormant')).stdout).toMatch(/\bweb\b/);
    expect((await sigma('ps', '--state', 'dormant')).stdout).not.toMatch(/\btick\b/);
    expect((await sigma('ps', '--type', 'PERIODIC')).stdout).not.toMatch(/\bweb\b/);
    expect(JSON.parse((await sigma('ps', '--name', 'tick', '--json')).stdout)).toHaveLength(1);
    expect(await sigma('ps', '--name', 'nobody')).toMatchObject({ code: 0, stdout: 'no process matches\n' });
  });

  it.skipIf(SCRIPT_PATH === null)('colours the states on a terminal that shows colour, unless NO_COLOR is set', async () => {
    await sigma('create', 'lit', '--start', '--', 'sleep', '300');
    await sigma('create', 'dim', '--', 'true');
    const coloured = await runCliOnTerminal(['ps'], { env: { ...env, TERM: 'xterm-256color' } });
    expect(coloured.code, coloured.stderr).toBe(0);
    expect(coloured.stdout).toContain('\u001b[32mRUNNING\u001b[39m');
    expect(coloured.stdout).toContain('\u001b[90mDORMANT\u001b[39m');
    const plainEnvs: Record<string, string>[] = [{ TERM: 'xterm-256color', NO_COLOR: '1' }, { TERM: 'dumb' }];
    for (const plainEnv of plainEnvs) {
      const plain = await runCliOnTerminal(['ps'], { env: { ...env, ...plainEnv } });
      expect(plain.stdout, JSON.stringify(plainEnv)).toMatch(/\bRUNNING\b/);
      expect(plain.stdout, JSON.stringify(plainEnv)).not.toContain('\u001b[');
    }
  });

  it('says so when the node has no processes', async () => {
    expect(await sigma('ps')).toMatchObject({ code: 0, stdout: expect.stringContaining('no processes yet') });
    expect(JSON.parse((await sigma('ps', '--json')).stdout)).toEqual([]);
  });

  it('exits 6 when the name is taken and 1 when --start cannot start the command', async () => {
    await sigma('create', 'dup', '--', 'true');
    const taken = await sigma('create', 'dup', '--', 'true');
    expect(taken.code).toBe(6);
    expect(taken.stderr).toBe('sigma: a process named "dup" already exists (SIGMA_ERR_PROCESS_NAME_TAKEN)\n');

    const broken = await sigma('create', 'broken', '--start', '--', '/nonexistent/program');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^created \d+ broken \(ONE_SHOT\): DORMANT\n$/);
    expect(broken.stderr).toMatch(/^sigma: broken was created but did not start: .+\n$/);
  });
});

describe('sigma start, suspend, resume, stop', () => {
  it('operates on several processes by name and id, and the jobs follow in /proc', async () => {
    await sigma('create', 'a', '--', 'sleep', '300');
    await sigma('create', 'b', '--', 'sleep', '300');
    const idOfB = String((await processNamed('b')).id);

    const started = await sigma('start', 'a', idOfB);
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toBe(`a (id ${(await processNamed('a')).id}): RUNNING\nb (id ${idOfB}): RUNNING\n`);
    const pids = [(await processNamed('a')).pid, (await processNamed('b')).pid] as number[];
    for (const pid of pids) expect(isAlive(pid)).toBe(true);

    expect((await sigma('suspend', 'a', 'b')).stdout).toMatch(/^a \(id \d+\): SUSPENDEND\nb \(id \d+\): SUSPENDEND\n$/);
    for (const pid of pids) expect(procState(pid)).toBe('T');

    expect((await sigma('resume', 'a', 'b')).stdout).toMatch(/^a \(id \d+\): RUNNING\nb \(id \d+\): RUNNING\n$/);
    for (const pid of pids) expect(procState(pid), `${pid} running again`).toMatch(/^[RS]$/);

    expect(await sigma('stop', 'a', 'b')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^a \(id \d+\): DORMANT\nb \(id \d+\): DORMANT\n$/) });
    for (const pid of pids) await waitFor(`job ${pid} to be gone`, () => isAlive(pid), (alive) => !alive, 5000);
  });

  it('exits 1 with the reason when an operation is FAILED, and still does the others', async () => {
    await sigma('create', 'idle', '--', 'sleep', '300');
    await sigma('create', 'other', '--', 'sleep', '300');
    const failed = await sigma('suspend', 'idle');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^sigma: idle \(id \d+\): SUSPEND FAILED: not started: START it first; it stays DORMANT\n$/);

    const mixed = await sigma('start', 'nobody', 'other');
    expect(mixed.code).toBe(3);
    expect(mixed.stderr).toBe('sigma: no process with name "nobody": `sigma ps` lists the processes\n');
    expect(mixed.stdout).toMatch(/^other \(id \d+\): RUNNING\n$/);
    expect((await processNamed('other')).state).toBe('RUNNING');
  });
});

describe('sigma rm', () => {
  it('deletes by name and id, ending a live job, and exits 3 for what is not there', async () => {
    await sigma('create', 'live', '--start', '--', 'sleep', '300');
    await sigma('create', 'idle', '--', 'true');
    const live = await processNamed('live');
    const idle = await processNamed('idle');
    const removed = await sigma('rm', 'live', String(idle.id));
    expect(removed).toMatchObject({ code: 0, stdout: `live (id ${live.id}): deleted\nidle (id ${idle.id}): deleted\n` });
    await waitFor(`job ${live.pid} to be gone`, () => isAlive(live.pid), (alive) => !alive, 5000);
    expect((await daemon.request('GET', '/processes')).body.processes).toEqual([]);

    const again = await sigma('rm', String(idle.id));
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(`sigma: no process with id ${idle.id}: \`sigma ps\` lists the processes\n`);
  });
});

describe('sigma show', () => {
  it('shows every field and the recent runs, newest first', async () => {
    await sigma('create', 'beat', '--periodic', '200', '--env', 'X=1', '--start', '--', 'true');
    await waitFor('two runs of beat', () => processNamed('beat'), (process) => process.runs >= 2 && process.lastExit !== null, 10_000);
    const shown = await sigma('show', 'beat');
    expect(shown.code, shown.stderr).toBe(0);
    for (const field of ['id', 'name', 'partition', 'state', 'type', 'period', 'command', 'cwd', 'env', 'stopTimeoutMs', 'pid', 'startedAt', 'nextReleaseAt', 'lastExit', 'runs', 'overruns', 'skipped', 'failures', 'createdAt']) {
      expect(shown.stdout, field).toMatch(new RegExp(`^${field} +\\S`, 'm'));
    }
    expect(shown.stdout).toMatch(/^period +200 ms$/m);
    expect(shown.stdout).toMatch(/^command +true$/m);
    expect(shown.stdout).toMatch(/^env +X=1$/m);
    expect(shown.stdout).toMatch(/^lastExit +exit 0 at /m);
    expect(shown.stdout).toContain('Recent runs (newest first):');
    expect(shown.stdout).toMatch(/^ +STARTED +DURATION +END +PID +LATENESS$/m);
    expect(shown.stdout.match(/^ +\d{4}-\d\d-\d\dT.* exit 0 +\d+ +[\d.]+ms$/gm)?.length).toBeGreaterThanOrEqual(2);

    const json = JSON.parse((await sigma('show', 'beat', '--json', '--runs', '2')).stdout);
    expect(json.process).toMatchObject({ name: 'beat', period: 200 });
    expect(json.runs).toHaveLength(2);
    expect(Date.parse(json.runs[0].startedAt)).toBeGreaterThan(Date.parse(json.runs[1].startedAt));

    expect(await sigma('show', 'nobody')).toMatchObject({ code: 3 });
  });
});

describe('a process whose output cannot be written', () => {
  it('is marked with ! after its state in sigma ps, explained in ps --help, and sigma show says why', async () => {
    await sigma('create', 'quiet', '--', 'true');
    await sigma('create', 'loud', '--', 'echo', 'lost');
    const loud = await processNamed('loud');
    // A directory where its stdout log should be: the daemon cannot open the file.
    mkdirSync(join(daemon.dataDir, 'logs', `${loud.id}.stdout.log`), { recursive: true });
    await sigma('start', 'loud');
    const failing = await waitFor('the output error on loud', () => daemon.process(loud.id), (process) => process.outputError !== null && process.state === 'DORMANT');

    const table = (await sigma('ps')).stdout.trimEnd().split('\n');
    expect(table[1]).toMatch(/^\d+\s+quiet\s+default\s+ONE_SHOT\s+-\s+DORMANT\s+-/);
    expect(table[2]).toMatch(/^\d+\s+loud\s+default\s+ONE_SHOT\s+-\s+DORMANT!\s+-/);
    const help = await sigma('ps', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('A ! after the state (RUNNING!) says that the output of its jobs cannot be written to its log now');

    const shown = await sigma('show', 'loud');
    expect(shown.code, shown.stderr).toBe(0);
    const line = shown.stdout.split('\n').find((text) => text.startsWith('outputError '));
    expect(line?.replace(/^outputError +/, '')).toBe(`${failing.outputError} (its jobs' output is dropped until the log can be written)`);
    expect(failing.outputError).toMatch(/^stdout: .*EISDIR/);
    expect((await sigma('show', 'quiet')).stdout).not.toMatch(/^outputError/m);
  });
});
