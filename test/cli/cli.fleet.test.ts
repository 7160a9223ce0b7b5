// The command line in a fleet of two nodes on a real etcd member: create on a node or by label,
// relocatable; ps with its NODE column (a node that is down marked so); nodes; apply with node,
// placement and relocatable, and a replace when the file moves a process to another node.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, runCli } from '../support/cliRunner.js';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { isAlive } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cleanUpClis();
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
  removeTempDirs();
});

describe.skipIf(ETCD_MISSING !== null)('sigma in a fleet', () => {
  it('creates on a node or by label, lists with the node, and applies a file with node, placement and relocatable', async () => {
    cluster = await EtcdCluster.start(1);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a', 'rig=a') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b', 'rig=b') });
    await waitFor('both up', async () => (await a.request('GET', '/nodes')).body.nodes as { status: string }[], (nodes) => nodes.every((node) => node.status === 'up') && nodes.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sigma = (...args: string[]) => runCli(args, { env: cliEnvFor(a) });

    const onB = await sigma('create', 'on-b', '--node', 'rig-b', '--start', '--', 'sleep', '300');
    expect(onB.stderr).toBe('');
    expect(onB.stdout).toMatch(/^created \d+ on-b \(ONE_SHOT\) on node rig-b: RUNNING\n$/);
    const byLabel = await sigma('create', 'by-label', '--label', 'rig=a', '--relocatable', '--', 'sleep', '300');
    expect(byLabel.stdout).toMatch(/^created \d+ by-label \(ONE_SHOT\) on node rig-a: DORMANT\n$/);
    const nowhere = await sigma('create', 'nowhere', '--label', 'rig=z', '--', 'true');
    expect(nowhere.code).not.toBe(0);
    expect(nowhere.stderr).toContain('no node that is up has partition "default", rig=z');

    const table = await sigma('ps');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +NODE +PARTITION +TYPE/);
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(1, 3))).toEqual([
      ['on-b', 'rig-b'],
      ['by-label', 'rig-a'],
    ]);
    const nodes = await sigma('nodes');
    expect(nodes.stdout).toMatch(/^rig-a +up .* 0 +default +rig=a$/m);
    expect(nodes.stdout).toMatch(/^rig-b +up .* 1 +default +rig=b$/m);

    // A file: one placed by label and relocatable, one moved from rig-a to rig-b (a replace).
    const dir = makeTempDir('sigma-fleet-apply-');
    writeFileSync(
      join(dir, 'sigma.yaml'),
      [
        'processes:',
        '  - name: by-label',
        '    command: [sleep, "300"]',
        '    node: rig-b',
        '    relocatable: true',
        '    state: stopped',
        '  - name: sampler',
        '    type: PERIODIC',
        '    period: 60000',
        '    command: ["true"]',
        '    placement: {labels: {rig: b}}',
        '    relocatable: true',
        '    state: stopped',
        '',
      ].join('\n'),
    );
    const plan = await runCli(['apply', '-f', 'sigma.yaml', '--dry-run'], { env: cliEnvFor(a), cwd: dir });
    expect(plan.stdout).toContain("-/+ replace by-label: node rig-a -> rig-b (a process's node is fixed at creation: deleted and created again, stopped)");
    expect(plan.stdout).toContain('+ create sampler: PERIODIC every 1m, stopped');
    const applied = await runCli(['apply', '-f', 'sigma.yaml'], { env: cliEnvFor(a), cwd: dir });
    expect(applied.code).toBe(0);
    const listed = (await a.request('GET', '/processes')).body.processes as { name: string; node: string; relocatable: boolean }[];
    expect(listed.map(({ name, node, relocatable }) => ({ name, node, relocatable }))).toEqual([
      { name: 'on-b', node: 'rig-b', relocatable: false },
      { name: 'by-label', node: 'rig-b', relocatable: true },
      { name: 'sampler', node: 'rig-b', relocatable: true },
    ]);
    expect((await runCli(['apply', '-f', 'sigma.yaml'], { env: cliEnvFor(a), cwd: dir })).stdout).toBe(
      'nothing to change: the node matches sigma.yaml (2 processes); 1 on the node not in the file (--prune deletes them): on-b\n',
    );

    // rig-b goes down: ps marks its node.
    const pid = ((await a.request('GET', '/processes?process_name=on-b')).body.processes[0] as { pid: number }).pid;
    expect((await sigma('stop', 'on-b')).code).toBe(0);
    await waitFor(`pid ${pid} gone`, () => isAlive(pid), (alive) => !alive);
    await b.kill();
    const down = await waitFor('on-b shown down', async () => (await sigma('ps')).stdout, (text) => text.includes('rig-b (down)'), 20_000);
    expect(down).toMatch(/on-b +rig-b \(down\) +default/);
    expect(await a.stop()).toBe(0);
  }, 120_000);
});
