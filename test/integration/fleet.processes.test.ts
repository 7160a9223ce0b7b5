// The SIGMA contract across a fleet of three nodes (HTTPS, each pinning the others' certificates)
// on a real three-member etcd: a process created through one node on another, listed from the
// third, operated and deleted through each; ids unique while the three create at once; a node
// that is down shows its processes as down and takes no change; without etcd, changes are 503 and
// reads are answered; with etcd back, changes are made again.
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
});

async function startFleet(etcd: EtcdCluster): Promise<SigmaDaemon[]> {
  const nodes: SigmaDaemon[] = [];
  for (const name of ['rig-a', 'rig-b', 'rig-c']) {
    nodes.push(await SigmaDaemon.start({ tls: true, args: fleetArgs(etcd.endpoints, name, `rig=${name.slice(-1)}`) }));
  }
  const [a] = nodes as [SigmaDaemon];
  await waitFor('three nodes up', async () => (await a.request('GET', '/nodes')).body.nodes as { status: string }[], (listed) => listed.filter((node) => node.status === 'up').length === 3);
  // Each node has read the others (their keep-alive reads the member list).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return nodes;
}

const summary = (process: Record<string, unknown>) => ({ id: process.id, name: process.name, state: process.state, node: process.node, nodeStatus: process.nodeStatus });

describe.skipIf(ETCD_MISSING !== null)('a fleet on etcd: the contract at every node', () => {
  it('creates through one node on another, lists from the third, and operates and deletes through each', async () => {
    cluster = await EtcdCluster.start(3);
    const [a, b, c] = (await startFleet(cluster)) as [SigmaDaemon, SigmaDaemon, SigmaDaemon];

    // A relocatable process needs the native launcher (its fence): in-process nodes refuse it.
    const created = await a.create({ name: 'on-b', command: ['sleep', '300'], node: 'rig-b', state: 'RUNNING', relocatable: NATIVE });
    expect(created.status).toBe(201);
    const onB = created.body.processes[0];
    expect(onB).toMatchObject({ name: 'on-b', state: 'RUNNING', node: 'rig-b', nodeStatus: 'up', relocatable: NATIVE });
    if (!NATIVE) expect((await a.create({ name: 'mover', command: ['true'], relocatable: true })).body.code).toBe('SIGMA_ERR_NO_NODE_MATCHES');
    expect(created.headers.location).toBe(`/processes/${onB.id}`);
    // The job is b's: a child of b's launcher, really running.
    expect(procState(onB.pid)).toMatch(/^[RS]/);

    const byLabel = await c.create({ name: 'by-label', command: ['sleep', '300'], placement: { labels: { rig: 'c' } } });
    expect(byLabel.status).toBe(201);
    expect(byLabel.body.processes[0]).toMatchObject({ node: 'rig-c', state: 'DORMANT', relocatable: false });

    // The third node lists both, each with its node.
    const listed = await c.request('GET', '/processes');
    expect(listed.status).toBe(200);
    expect(listed.body.processes.map(summary)).toEqual([
      { id: onB.id, name: 'on-b', state: 'RUNNING', node: 'rig-b', nodeStatus: 'up' },
      { id: byLabel.body.processes[0].id, name: 'by-label', state: 'DORMANT', node: 'rig-c', nodeStatus: 'up' },
    ]);
    const byName = await a.request('GET', '/processes?process_name=by-label');
    expect(byName.body.processes.map(summary)).toEqual([{ id: byLabel.body.processes[0].id, name: 'by-label', state: 'DORMANT', node: 'rig-c', nodeStatus: 'up' }]);
    expect((await a.request('GET', '/processes?process_name=nowhere')).status).toBe(404);
    const page = await b.request('GET', '/processes?limit=1');
    expect(page.body.processes.map(summary)).toEqual([{ id: onB.id, name: 'on-b', state: 'RUNNING', node: 'rig-b', nodeStatus: 'up' }]);
    expect(page.headers.link).toBe(`</processes?limit=1&after=${onB.id}>; rel="next"`);

    // Each operation through another node than the owner answers as the owner does.
    const suspended = await c.operate(onB.id, 'SUSPEND');
    expect(suspended.body.processes[0]).toMatchObject({ id: onB.id, state: 'SUSPENDEND', result: 'OK' });
    expect(procState(onB.pid)).toBe('T');
    expect((await a.operate(onB.id, 'RESUME')).body.processes[0]).toMatchObject({ state: 'RUNNING', result: 'OK' });
    expect((await a.request('GET', `/processes/${onB.id}`)).body.processes[0]).toMatchObject({ state: 'RUNNING', node: 'rig-b' });
    expect((await c.operate(onB.id, 'STOP')).body.processes[0]).toMatchObject({ state: 'DORMANT', result: 'OK' });
    await waitFor(`pid ${onB.pid} gone`, () => isAlive(onB.pid), (alive) => !alive);
    // FAILED, 400 and 404 come back as the owner gives them.
    expect((await a.operate(onB.id, 'RESUME')).body.processes[0]).toMatchObject({ result: 'FAILED' });
    expect((await a.request('PUT', `/processes/${onB.id}`, { operation: 'JUMP' })).status).toBe(400);
    expect((await a.request('PUT', '/processes/999999', { operation: 'START' })).status).toBe(404);
    expect((await b.create({ name: 'on-b', command: ['true'] })).status).toBe(409);
    expect((await b.create({ name: 'nowhere', command: ['true'], node: 'rig-z' })).body.code).toBe('SIGMA_ERR_NO_NODE_MATCHES');

    // Its runs and its log are the owner's, through any node; a followed log streams from it.
    const runs = await c.request('GET', `/processes/${onB.id}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.runs.length).toBe(1);
    expect(runs.body.runs[0]).toMatchObject({ pid: onB.pid });
    const echo = (await c.create({ name: 'echo', command: ['sh', '-c', 'echo from-b'], node: 'rig-b', state: 'RUNNING' })).body.processes[0];
    const logged = await waitFor('the echo in its log, read through a', async () => (await a.request('GET', `/processes/${echo.id}/logs`)).text, (text) => text.includes('from-b'));
    expect(logged).toBe('from-b\n');
    expect((await a.request('DELETE', `/processes/${echo.id}`)).status).toBe(204);

    // Each node's metrics carry its name, and what it knows of the fleet.
    const metrics = (await a.request('GET', '/metrics')).text;
    expect(metrics).toMatch(/^sigma_fleet_nodes\{status="up",node="rig-a"\} 3$/m);
    expect(metrics).toMatch(/^sigma_fleet_etcd_connected\{node="rig-a"\} 1$/m);
    expect(metrics).toMatch(/^sigma_processes\{state="DORMANT",type="ONE_SHOT",node="rig-a"\} 0$/m);

    expect((await a.request('DELETE', `/processes/${onB.id}`)).status).toBe(204);
    expect((await c.request('GET', `/processes/${onB.id}`)).status).toBe(404);
    expect((await b.request('DELETE', `/processes/${byLabel.body.processes[0].id}`)).status).toBe(204);
    expect((await a.request('GET', '/processes')).body.processes).toEqual([]);
    for (const node of [a, b, c]) expect(await node.stop()).toBe(0);
  }, 120_000);

  it('gives ids that never collide while three nodes create at once', async () => {
    cluster = await EtcdCluster.start(3);
    const nodes = await startFleet(cluster);
    const replies = await Promise.all(
      nodes.flatMap((node, index) => Array.from({ length: 10 }, (_, n) => node.create({ name: `p-${index}-${n}`, command: ['true'], node: `rig-${'abc'[index]}` }))),
    );
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 201));
    const ids = replies.map((reply) => reply.body.processes[0].id as number);
    expect(new Set(ids).size).toBe(30);
    const listed = (await nodes[1]!.request('GET', '/processes')).body.processes as { id: number; node: string }[];
    expect(listed.map((process) => process.id)).toEqual([...ids].sort((x, y) => x - y));
    for (const node of nodes) expect(await node.stop()).toBe(0);
  }, 120_000);

  it('shows a dead node\'s processes as down, refuses changes to them and, without etcd, every change', async () => {
    cluster = await EtcdCluster.start(3);
    const [a, b, c] = (await startFleet(cluster)) as [SigmaDaemon, SigmaDaemon, SigmaDaemon];
    const onB = (await a.create({ name: 'on-b', command: ['sleep', '300'], node: 'rig-b' })).body.processes[0];
    const onC = (await a.create({ name: 'on-c', command: ['sleep', '300'], node: 'rig-c', state: 'RUNNING' })).body.processes[0];

    await b.kill();
    const seen = await waitFor(
      'on-b shown down from a',
      async () => ((await a.request('GET', '/processes')).body.processes as Record<string, unknown>[]).map(summary),
      (processes) => processes.some((process) => process.nodeStatus === 'down'),
      20_000,
    );
    expect(seen).toEqual([
      { id: onB.id, name: 'on-b', state: 'DORMANT', node: 'rig-b', nodeStatus: 'down' },
      { id: onC.id, name: 'on-c', state: 'RUNNING', node: 'rig-c', nodeStatus: 'up' },
    ]);
    expect((await c.request('GET', `/processes/${onB.id}`)).body.processes[0]).toMatchObject({ name: 'on-b', nodeStatus: 'down' });
    const refused = await c.operate(onB.id, 'START');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('SIGMA_ERR_NODE_UNREACHABLE');

    // The one member of three that dies changes nothing.
    await cluster.kill(0);
    expect((await a.operate(onC.id, 'SUSPEND')).body.processes[0]).toMatchObject({ state: 'SUSPENDEND', result: 'OK' });
    expect(procState(onC.pid)).toBe('T');

    await cluster.killAll();
    await waitFor('a to see etcd gone', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'unreachable', 20_000);
    await waitFor('c to see etcd gone', async () => (await c.request('GET', '/node')).body.fleet, (fleet) => fleet === 'unreachable', 20_000);
    const noCreate = await a.create({ name: 'later', command: ['true'] });
    expect(noCreate.status).toBe(503);
    expect(noCreate.body.code).toBe('SIGMA_ERR_FLEET_UNREACHABLE');
    expect((await c.operate(onC.id, 'RESUME')).status).toBe(503);
    expect((await c.request('POST', '/partitions', { name: 'lab' })).status).toBe(503);
    // Jobs run on, and a node answers reads of its own.
    expect(procState(onC.pid)).toBe('T');
    const own = await c.request('GET', `/processes/${onC.id}`);
    expect(own.body.processes[0]).toMatchObject({ state: 'SUSPENDEND', node: 'rig-c' });

    await cluster.restart();
    await waitFor('c to be back in the fleet', async () => (await c.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    await waitFor('a to be back in the fleet', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    expect((await a.operate(onC.id, 'RESUME')).body.processes[0]).toMatchObject({ state: 'RUNNING', result: 'OK' });
    const later = await a.create({ name: 'later', command: ['true'] });
    expect(later.status).toBe(201);
    expect([onB.id, onC.id]).not.toContain(later.body.processes[0].id);
    expect((await a.operate(onC.id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK' });
    await waitFor(`pid ${onC.pid} gone`, () => isAlive(onC.pid), (alive) => !alive);
    expect(await a.stop()).toBe(0);
    expect(await c.stop()).toBe(0);
  }, 150_000);
});
