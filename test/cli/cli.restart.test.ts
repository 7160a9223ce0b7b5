// The restart policy from the command line: `sigma create --restart ...`, `sigma show`, `sigma ps`,
// and the `restart` field of `sigma apply`, against a real shared.daemon.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sharedCliDaemon } from '../support/cliRunner.js';
import { makeTempDir } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const shared = sharedCliDaemon();
const sigma = (...args: string[]) => runCli(args, { env: shared.env });

const processNamed = (name: string) => shared.daemon.processNamed(name);

describe('sigma create --restart', () => {
  it('sends the policy with its durations and limit; show and ps tell the policy and the restarts', async () => {
    const created = await sigma('create', 'crashy', '--restart', 'on-failure', '--restart-delay', '50ms', '--restart-max-delay', '0.2s', '--restart-limit', '2/1m', '--start', '--', 'sh', '-c', 'exit 3');
    expect(created.code, created.stderr).toBe(0);
    const gaveUp = await waitFor('sigma to give up', () => processNamed('crashy'), (p) => p.state === 'DORMANT' && p.lastExit?.error !== null);
    expect(gaveUp).toMatchObject({ restart: { policy: 'on-failure', delayMs: 50, maxDelayMs: 200, limit: { count: 2, windowMs: 60_000 } }, restarts: 2, runs: 3 });
    expect(gaveUp.lastExit.error).toBe('restart limit reached: 2 restarts in 60 s');

    const shown = await sigma('show', 'crashy', '--runs', '0');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^restart\s+on-failure, after 50ms doubled up to 200ms, at most 2 in 1m$/m);
    expect(shown.stdout).toMatch(/^restarts\s+2$/m);
    const table = (await sigma('ps')).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/\bRUNS\s+RESTARTS\b/);
    expect(table[1]).toMatch(/\bcrashy\s+default\s+ONE_SHOT\s+-\s+DORMANT\s+-\s+3\s+2\s/);
  });

  it('refuses a bad policy, a bad duration and tuning without a policy, with exit 2 and nothing created', async () => {
    expect(await sigma('create', 'a', '--restart', 'sometimes', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/never, on-failure, always/) });
    expect(await sigma('create', 'a', '--restart', 'always', '--restart-delay', 'soon', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/duration/) });
    expect(await sigma('create', 'a', '--restart', 'always', '--restart-limit', '5', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/COUNT\/DURATION/) });
    expect(await sigma('create', 'a', '--restart-delay', '1s', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/need --restart/) });
    expect((await shared.daemon.request('GET', '/processes')).body.processes).toEqual([]);
  });
});

describe('sigma apply with restart', () => {
  it('creates with the policy, changes nothing the second time, updates a changed delay, and drops it for never', async () => {
    const dir = makeTempDir('sigma-apply-restart-');
    const write = (lines: string[]) => writeFileSync(join(dir, 'sigma.yaml'), `${lines.join('\n')}\n`);
    const apply = () => runCli(['apply', '-f', 'sigma.yaml'], { env: shared.env, cwd: dir });
    const file = ['processes:', '  - name: worker', '    command: [sleep, 300]', '    restart: {policy: always, delayMs: 500}', '    state: stopped'];
    write(file);
    expect((await apply()).code).toBe(0);
    const defaults = { maxDelayMs: 60_000, limit: { count: 5, windowMs: 60_000 } };
    expect((await processNamed('worker')).restart).toEqual({ policy: 'always', delayMs: 500, ...defaults });
    expect((await apply()).stdout).toBe('nothing to change: the node matches sigma.yaml (1 processes)\n');

    write(file.map((line) => line.replace('delayMs: 500', 'delayMs: 700')));
    const updated = await apply();
    expect(updated.stdout).toMatch(/^~ update worker: restart/);
    expect((await processNamed('worker')).restart).toEqual({ policy: 'always', delayMs: 700, ...defaults });

    write(file.map((line) => line.replace('{policy: always, delayMs: 500}', '{policy: never}')));
    expect((await apply()).code).toBe(0);
    expect((await processNamed('worker')).restart).toBeNull();
  });

  it('refuses a policy on a PERIODIC process and an unknown policy, with their lines', async () => {
    const dir = makeTempDir('sigma-apply-restart-');
    writeFileSync(
      join(dir, 'sigma.yaml'),
      ['processes:', '  - name: tick', '    period: 1000', '    command: [true]', '    restart: {policy: always}', '  - name: odd', '    command: [true]', '    restart: {policy: sometimes}', ''].join('\n'),
    );
    const refused = await runCli(['apply', '-f', 'sigma.yaml'], { env: shared.env, cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/sigma\.yaml:5: .*restart is only for ONE_SHOT/);
    expect(refused.stderr).toMatch(/sigma\.yaml:8: .*restart\.policy must be one of never, on-failure, always/);
    expect((await shared.daemon.request('GET', '/processes')).body.processes).toEqual([]);
  });
});
