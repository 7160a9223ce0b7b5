// sigma partition ... and the partition flags of ps and create, run as a subprocess against a real
// daemon: limits in human units, operations answered per process, and a partition token that
// sees and does its own partition only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, deleteAllProcesses, runCli } from '../support/cliRunner.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

let daemon: SigmaDaemon;
let env: Record<string, string>;
const sigma = (...args: string[]) => runCli(args, { env });

beforeAll(async () => {
  daemon = await SigmaDaemon.start();
  env = cliEnvFor(daemon);
});
afterEach(async () => {
  await cleanUpClis();
  // Every process, then every partition but default: each test starts from a fresh node.
  await deleteAllProcesses(daemon);
  for (const partition of (await daemon.request('GET', '/partitions')).body?.partitions ?? []) {
    if (partition.name !== 'default') await daemon.request('DELETE', `/partitions/${partition.name}`);
  }
  await daemon.request('PUT', '/partitions/default', { maxRunning: null, cpu: null, memoryBytes: null, pids: null });
});
afterAll(cleanUpDaemons);

/** Why the node cannot enforce each cgroup limit (GET /node), null where it can. */
async function limitSupport(): Promise<Record<'cpu' | 'memoryBytes' | 'pids', string | null>> {
  return (await daemon.request('GET', '/node')).body.partitionLimits;
}

describe('sigma partition create, set, ls, show, rm', () => {
  it('creates a partition with limits in human units, changes and removes them, lists and shows it', async () => {
    const created = await sigma('partition', 'create', 'lab', '--max-running', '2', '--memory', '256Mi', '--pids', '64', '--max-processes', '50');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('created partition lab: max running 2, cpu none, memory 256Mi, pids 64, max processes 50, definition bytes 64Mi\n');
    const onNode = (await daemon.request('GET', '/partitions/lab')).body.partitions[0];
    expect(onNode).toMatchObject({ name: 'lab', maxRunning: 2, cpu: null, memoryBytes: 268_435_456, pids: 64, maxProcesses: 50, processes: 0, running: 0 });

    const set = await sigma('partition', 'set', 'lab', '--max-running', '4', '--memory', 'none', '--max-processes', 'none', '--definition-bytes', '4Mi');
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('updated partition lab: max running 4, cpu none, memory none, pids 64, max processes none, definition bytes 4Mi\n');
    expect((await daemon.request('GET', '/partitions/lab')).body.partitions[0]).toMatchObject({ maxProcesses: null, definitionBytes: 4_194_304 });

    const table = await sigma('partitions');
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PROCESSES\s+RUNNING\s+MAX RUNNING\s+CPU\s+MEMORY\s+PIDS\s+MAX PROCESSES\s+DEFINITIONS\s+UNENFORCED$/);
    expect(lines[1]).toMatch(/^default\s+0\s+0\s+-\s+-\s+-\s+-\s+-\s+0B\/-\s+-$/);
    expect(lines[2]).toMatch(/^lab\s+0\s+0\s+4\s+-\s+-\s+64!?\s+-\s+0B\/4Mi\s+(-|pids)$/);
    expect((await sigma('partition', 'ls')).stdout).toBe(table.stdout);
    expect(JSON.parse((await sigma('partition', 'ls', '--json')).stdout).map((partition: { name: string }) => partition.name)).toEqual(['default', 'lab']);

    const shown = await sigma('partition', 'show', 'lab');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^maxRunning +4$/m);
    expect(shown.stdout).toMatch(/^pids +64$/m);
    expect(JSON.parse((await sigma('partition', 'show', 'lab', '--json')).stdout)).toMatchObject({ name: 'lab', maxRunning: 4, pids: 64 });
    expect(await sigma('partition', 'show', 'nowhere')).toMatchObject({ code: 3, stderr: expect.stringContaining('`sigma partition ls` lists the partitions') });

    expect(await sigma('partition', 'rm', 'lab')).toMatchObject({ code: 0, stdout: 'partition lab: deleted\n' });
    expect((await daemon.request('GET', '/partitions/lab')).status).toBe(404);
  });

  it('says, and flags in the list, each limit that the node does not enforce', async () => {
    const support = await limitSupport();
    const created = await sigma('partition', 'create', 'capped', '--cpu', '0.5', '--memory', '64Mi', '--pids', '32');
    expect(created.code, created.stderr).toBe(0);
    const table = (await sigma('partition', 'ls')).stdout;
    for (const [limit, word, value] of [['cpu', 'cpu', '0.5'], ['memoryBytes', 'memory', '64Mi'], ['pids', 'pids', '32']] as const) {
      const reason = support[limit];
      if (reason === null) {
        expect(created.stderr, limit).not.toContain(`the ${word} limit of capped does not hold`);
        expect(table, limit).toMatch(new RegExp(`\\s${value}\\s`));
      } else {
        expect(created.stderr, limit).toContain(`sigma: warning: the ${word} limit of capped does not hold: `);
        expect(table, limit).toContain(`${value}!`);
        expect(table, limit).toContain(`! the ${word} limit of capped does not hold: `);
      }
    }
  });

  it('refuses bad limits before sending anything (exit 2), and says what a partition with processes needs before rm', async () => {
    for (const args of [['--memory', '12'], ['--memory', 'lots'], ['--cpu', '0'], ['--max-running', '0'], ['--pids', 'none']]) {
      const refused = await sigma('partition', 'create', 'bad', ...args);
      expect(refused.code, args.join(' ')).toBe(2);
    }
    expect(await sigma('partition', 'set', 'default')).toMatchObject({ code: 2, stderr: expect.stringContaining('give at least one limit') });
    expect((await daemon.request('GET', '/partitions/bad')).status).toBe(404);

    await sigma('partition', 'create', 'busy');
    await sigma('create', 'worker', '--partition', 'busy', '--', 'true');
    const notEmpty = await sigma('partition', 'rm', 'busy');
    expect(notEmpty.code).toBe(6);
    expect(notEmpty.stderr).toContain('SIGMA_ERR_PARTITION_NOT_EMPTY');
    expect(notEmpty.stderr).toContain('`sigma ps --partition busy` lists them');
    expect(await sigma('partition', 'rm', 'default')).toMatchObject({ code: 6, stderr: expect.stringContaining('SIGMA_ERR_PARTITION_IS_DEFAULT') });
  });
});

describe('sigma ps and create with partitions', () => {
  it('creates a process in a partition, shows the PARTITION column, and filters by --partition', async () => {
    await sigma('partition', 'create', 'lab');
    const inLab = await sigma('create', 'crunch', '--partition', 'lab', '--', 'true');
    expect(inLab.code, inLab.stderr).toBe(0);
    expect(inLab.stdout).toMatch(/^created \d+ crunch \(ONE_SHOT\) in partition lab: DORMANT\n$/);
    expect((await sigma('create', 'plain', '--', 'true')).stdout).toMatch(/^created \d+ plain \(ONE_SHOT\): DORMANT\n$/);

    const table = (await sigma('ps')).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID\s+NAME\s+PARTITION\s+TYPE/);
    expect(table[1]).toMatch(/^\d+\s+crunch\s+lab\s+ONE_SHOT/);
    expect(table[2]).toMatch(/^\d+\s+plain\s+default\s+ONE_SHOT/);

    const filtered = (await sigma('ps', '--partition', 'lab')).stdout.trimEnd().split('\n');
    expect(filtered).toHaveLength(2);
    expect(filtered[1]).toMatch(/\bcrunch\b/);
    expect(JSON.parse((await sigma('ps', '--partition', 'default', '--json')).stdout).map((process: { name: string }) => process.name)).toEqual(['plain']);
    expect(await sigma('ps', '--partition', 'nowhere')).toMatchObject({ code: 3, stderr: expect.stringContaining('`sigma partition ls` lists the partitions') });
    expect(await sigma('create', 'lost', '--partition', 'nowhere', '--', 'true')).toMatchObject({ code: 3 });
    expect((await sigma('show', 'crunch')).stdout).toMatch(/^partition +lab$/m);
  });
});

describe('sigma partition start, stop, suspend, resume', () => {
  it('answers one line per process of the partition, and exits 1 when any is FAILED', async () => {
    await sigma('partition', 'create', 'batch');
    await sigma('create', 'one', '--partition', 'batch', '--', 'sleep', '300');
    await sigma('create', 'two', '--partition', 'batch', '--', 'sleep', '300');
    await sigma('create', 'outside', '--', 'sleep', '300');

    const suspendIdle = await sigma('partition', 'suspend', 'batch');
    expect(suspendIdle.code).toBe(1);
    expect(suspendIdle.stderr).toMatch(/^sigma: one \(id \d+\): SUSPEND FAILED: .+; it stays DORMANT\nsigma: two \(id \d+\): SUSPEND FAILED: .+; it stays DORMANT\n$/);

    const started = await sigma('partition', 'start', 'batch');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toMatch(/^one \(id \d+\): RUNNING\ntwo \(id \d+\): RUNNING\n$/);
    expect((await daemon.request('GET', '/processes?process_name=outside')).body.processes[0].state).toBe('DORMANT');

    const json = JSON.parse((await sigma('partition', 'stop', 'batch', '--json')).stdout);
    expect(json.map((result: { name: string; state: string; result: string }) => [result.name, result.state, result.result])).toEqual([
      ['one', 'DORMANT', 'OK'],
      ['two', 'DORMANT', 'OK'],
    ]);
    await sigma('partition', 'create', 'empty');
    expect(await sigma('partition', 'stop', 'empty')).toMatchObject({ code: 0, stdout: 'partition empty has no processes: nothing to stop\n' });
  });
});

describe('partition tokens', () => {
  it('prints a new token once; with it the command line sees and does its own partition only; revoked, it is refused', async () => {
    await sigma('partition', 'create', 'lab');
    await sigma('partition', 'create', 'ops');
    await sigma('create', 'mine', '--partition', 'lab', '--', 'sleep', '300');
    await sigma('create', 'theirs', '--partition', 'ops', '--', 'sleep', '300');

    const made = await sigma('partition', 'token', 'create', 'lab', '--label', 'ci');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^sigma_p_[A-Za-z0-9_-]{43}\n$/);
    expect(made.stderr).toMatch(/^sigma: token \S+ for partition lab \(ci\) created: it is shown only now; /);
    const token = made.stdout.trim();
    const listed = await sigma('partition', 'token', 'ls', 'lab');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+LABEL\s+CREATED\n\S+\s+ci\s+\d{4}-/);
    expect(listed.stdout).not.toContain(token);
    const tokenId = (await daemon.request('GET', '/partitions/lab/tokens')).body.tokens[0].id;

    const asLab = (...args: string[]) => runCli(args, { env: { ...env, SIGMA_TOKEN: token } });
    const seen = await asLab('ps');
    expect(seen.code, seen.stderr).toBe(0);
    expect(seen.stdout).toMatch(/\bmine\b/);
    expect(seen.stdout).not.toMatch(/\btheirs\b/);
    expect((await asLab('partitions')).stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['lab']);

    const own = await asLab('create', 'added', '--', 'true');
    expect(own).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created \d+ added \(ONE_SHOT\) in partition lab: DORMANT\n$/) });
    expect(await asLab('start', 'mine')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^mine \(id \d+\): RUNNING\n$/) });
    expect(await asLab('partition', 'stop', 'lab')).toMatchObject({ code: 0 });

    // Another partition's process is as if it did not exist; node-wide requests are refused, saying whose the token is.
    expect(await asLab('stop', 'theirs')).toMatchObject({ code: 3 });
    expect(await asLab('ps', '--partition', 'ops')).toMatchObject({ code: 3 });
    const elsewhere = await asLab('create', 'intruder', '--partition', 'ops', '--', 'true');
    expect(elsewhere.code).toBe(4);
    expect(elsewhere.stderr).toMatch(/^sigma: this token is for partition lab: .*use the node token.* \(SIGMA_ERR_OUT_OF_SCOPE\)\n$/);
    for (const args of [['partition', 'create', 'mine2'], ['partition', 'set', 'lab', '--max-running', '1'], ['partition', 'token', 'create', 'lab']]) {
      const refused = await asLab(...args);
      expect(refused.code, args.join(' ')).toBe(4);
      expect(refused.stderr, args.join(' ')).toContain('this token is for partition lab');
    }

    expect(await sigma('partition', 'token', 'rm', 'lab', String(tokenId))).toMatchObject({ code: 0, stdout: `token ${tokenId} of partition lab: revoked\n` });
    expect(await asLab('ps')).toMatchObject({ code: 4, stderr: expect.stringContaining('the daemon refused the token') });
  });
});
