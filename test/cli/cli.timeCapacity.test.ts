// Time capacity from the command line: `sigma create --time-capacity ... --on-deadline-miss ...`,
// `sigma show`, and the fields of `sigma apply`, against a real shared daemon.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sharedCliDaemon } from '../support/cliRunner.js';
import { makeTempDir } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const shared = sharedCliDaemon();
const sigma = (...args: string[]) => runCli(args, { env: shared.env });

const processNamed = (name: string) => shared.daemon.processNamed(name);

describe('sigma create --time-capacity', () => {
  it('sends the capacity as milliseconds and the action; show tells both and the misses', async () => {
    const created = await sigma('create', 'overdue', '--time-capacity', '0.1s', '--on-deadline-miss', 'stop', '--start', '--', 'sleep', '5');
    expect(created.code, created.stderr).toBe(0);
    const ended = await waitFor('the job to be ended at its deadline', () => processNamed('overdue'), (p) => p.state === 'DORMANT');
    expect(ended).toMatchObject({ timeCapacityMs: 100, onDeadlineMiss: 'stop', deadlineMisses: 1 });
    const shown = await sigma('show', 'overdue', '--runs', '0');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^timeCapacityMs\s+100 ms, on a miss: stop$/m);
    expect(shown.stdout).toMatch(/^deadlineMisses\s+1$/m);
  });

  it('refuses a bad duration, a bad action and an action without a capacity, with exit 2 and nothing created', async () => {
    expect(await sigma('create', 'a', '--time-capacity', 'soon', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/duration/) });
    expect(await sigma('create', 'a', '--time-capacity', '50ms', '--on-deadline-miss', 'kill', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/log .*or stop/) });
    expect(await sigma('create', 'a', '--on-deadline-miss', 'stop', '--', 'true')).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --time-capacity/) });
    expect((await shared.daemon.request('GET', '/processes')).body.processes).toEqual([]);
  });
});

describe('sigma apply with timeCapacityMs', () => {
  it('creates with the capacity, changes nothing the second time, updates the action, and removes the capacity', async () => {
    const dir = makeTempDir('sigma-apply-capacity-');
    const write = (lines: string[]) => writeFileSync(join(dir, 'sigma.yaml'), `${lines.join('\n')}\n`);
    const apply = () => runCli(['apply', '-f', 'sigma.yaml'], { env: shared.env, cwd: dir });
    const file = ['processes:', '  - name: tick', '    period: 1000', '    command: [true]', '    timeCapacityMs: 500', '    state: stopped'];
    write(file);
    expect((await apply()).code).toBe(0);
    expect(await processNamed('tick')).toMatchObject({ timeCapacityMs: 500, onDeadlineMiss: 'log' });
    expect((await apply()).stdout).toBe('nothing to change: the node matches sigma.yaml (1 processes)\n');

    write([...file, '    onDeadlineMiss: stop']);
    const updated = await apply();
    expect(updated.stdout).toMatch(/^~ update tick: onDeadlineMiss/);
    expect(await processNamed('tick')).toMatchObject({ timeCapacityMs: 500, onDeadlineMiss: 'stop' });

    write(file.filter((line) => !line.includes('timeCapacityMs')));
    expect((await apply()).code).toBe(0);
    expect(await processNamed('tick')).toMatchObject({ timeCapacityMs: null, onDeadlineMiss: null });
  });
});
