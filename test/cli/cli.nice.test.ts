// `sigma create --nice`, `sigma show` and the `nice` field of `sigma apply`, against a real shared.daemon.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, sharedCliDaemon } from '../support/cliRunner.js';
import { makeTempDir } from '../support/tempDirs.js';

const shared = sharedCliDaemon();

const niceOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

it('create --nice starts the job at that priority, show prints it; a value out of range exits 2', async () => {
  const created = await runCli(['create', 'low', '--nice', '12', '--start', '--', 'sleep', '300'], { env: shared.env });
  expect(created.code, created.stderr).toBe(0);
  const listed = (await shared.daemon.request('GET', '/processes?process_name=low')).body.processes[0];
  expect(listed.nice).toBe(12);
  expect(niceOf(listed.pid)).toBe(12);
  expect((await runCli(['show', 'low', '--runs', '0'], { env: shared.env })).stdout).toMatch(/^nice\s+12$/m);
  expect(await runCli(['create', 'bad', '--nice', '20', '--', 'true'], { env: shared.env })).toMatchObject({ code: 2, stderr: expect.stringMatching(/-20.*19/) });
});

it('apply sets nice, changes nothing the second time, and updates a changed value', async () => {
  const dir = makeTempDir('sigma-apply-nice-');
  const write = (nice: number) => writeFileSync(join(dir, 'sigma.yaml'), `processes:\n  - name: batch\n    command: [sleep, 300]\n    nice: ${nice}\n    state: stopped\n`);
  const apply = () => runCli(['apply', '-f', 'sigma.yaml'], { env: shared.env, cwd: dir });
  write(5);
  expect((await apply()).code).toBe(0);
  expect((await shared.daemon.request('GET', '/processes?process_name=batch')).body.processes[0].nice).toBe(5);
  expect((await apply()).stdout).toMatch(/^nothing to change/);
  write(9);
  expect((await apply()).stdout).toMatch(/^~ update batch: nice/);
  expect((await shared.daemon.request('GET', '/processes?process_name=batch')).body.processes[0].nice).toBe(9);
});
