// A fleet's partitions and their tokens hold on every node: made, changed, operated on and deleted
// through any node, refused with etcd out of reach, a node's own ones added at its first join, and
// what the fleet deleted while a node was down dropped when it comes back.
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
});

const asToken = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function nodesUp(daemon: SigmaDaemon, count: number): Promise<void> {
  await waitFor(`${count} nodes up`, async () => (await daemon.request('GET', '/nodes')).body.nodes as { status: string }[], (nodes) => nodes.filter((node) => node.status === 'up').length === count);
}

describe.skipIf(ETCD_MISSING !== null)('a fleet on etcd: partitions and their tokens', () => {
  it('makes, changes, operates on and deletes a partition through any node, and its tokens open it on every node', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b') });
    await nodesUp(a, 2);

    // Made at rig-a: rig-b has it, with its limits, and places processes in it.
    expect((await a.request('POST', '/partitions', { name: 'lab', maxRunning: 1 })).status).toBe(201);
    const onB = await waitFor('lab on rig-b', () => b.request('GET', '/partitions/lab'), (reply) => reply.status === 200);
    expect(onB.body.partitions[0]).toMatchObject({ name: 'lab', maxRunning: 1 });
    expect((await b.request('POST', '/partitions', { name: 'lab' })).body.code).toBe('SIGMA_ERR_PARTITION_EXISTS');

    // A token made at rig-b opens lab at rig-a too, for a process placed on rig-b.
    const made = await b.request('POST', '/partitions/lab/tokens', { label: 'ci' });
    expect(made.status).toBe(201);
    const token = made.body.tokens[0].token as string;
    const tokenId = made.body.tokens[0].id as number;
    await waitFor('the token known at rig-a', () => a.request('GET', '/processes', undefined, asToken(token)), (reply) => reply.status === 200);
    const created = await a.request('POST', '/processes', { name: 'in-lab', command: ['sleep', '310'], node: 'rig-b', state: 'RUNNING' }, asToken(token));
    expect(created.status).toBe(201);
    expect(created.body.processes[0]).toMatchObject({ partition: 'lab', node: 'rig-b', state: 'RUNNING' });
    const id = created.body.processes[0].id as number;
    const readThroughA = await a.request('GET', `/processes/${id}`, undefined, asToken(token));
    expect(readThroughA.body, readThroughA.text).toMatchObject({ processes: [{ state: 'RUNNING' }] });
    // Listed at rig-a too, under the id rig-b gave it (the fleet's), never with its secret.
    const listedAtA = await waitFor('the token listed at rig-a', () => a.request('GET', '/partitions/lab/tokens'), (reply) => reply.body.tokens.length === 1);
    expect(listedAtA.body.tokens[0]).toMatchObject({ id: tokenId, label: 'ci' });
    expect(listedAtA.body.tokens[0].token).toBeUndefined();

    // Limits changed at rig-b hold at rig-a.
    expect((await b.request('PUT', '/partitions/lab', { maxRunning: 2 })).status).toBe(200);
    await waitFor('the new limit at rig-a', async () => (await a.request('GET', '/partitions/lab')).body.partitions[0].maxRunning, (value) => value === 2);

    // An operation on the partition at rig-a reaches its processes on rig-b, with the partition's token.
    const stopped = await a.request('PUT', '/partitions/lab', { operation: 'STOP' }, asToken(token));
    expect(stopped.status).toBe(200);
    expect(stopped.body.processes).toEqual([expect.objectContaining({ id, result: 'OK', state: 'DORMANT' })]);

    // Not deleted while a node holds a process of it; deleted, gone everywhere with its tokens.
    const refused = await a.request('DELETE', '/partitions/lab');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SIGMA_ERR_PARTITION_NOT_EMPTY');
    expect((await a.request('DELETE', `/processes/${id}`)).status).toBe(204);
    expect((await a.request('DELETE', '/partitions/lab')).status).toBe(204);
    await waitFor('lab gone at rig-b', () => b.request('GET', '/partitions/lab'), (reply) => reply.status === 404);
    expect((await b.request('GET', '/processes', undefined, asToken(token))).status).toBe(401);

    // etcd out of reach: a partition is refused 503, and nothing is made.
    await cluster.killAll();
    await waitFor('rig-a out of touch', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'unreachable', 20_000);
    const unreachable = await a.request('POST', '/partitions', { name: 'later' });
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.code).toBe('SIGMA_ERR_FLEET_UNREACHABLE');
    expect((await a.request('GET', '/partitions/later')).status).toBe(404);
    await cluster.restart();
    await waitFor('rig-a in touch', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 150_000);

  it('revokes a token on every node, adds a node\'s own partitions at its first join, and drops at a later one what the fleet deleted meanwhile', async () => {
    cluster = await EtcdCluster.start(1);
    // rig-c, on its own first: a partition and a token of its own.
    let c = await SigmaDaemon.start();
    expect((await c.request('POST', '/partitions', { name: 'own', maxRunning: 3 })).status).toBe(201);
    const own = (await c.request('POST', '/partitions/own/tokens', {})).body.tokens[0].token as string;
    expect(await c.stop()).toBe(0);

    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    c = await SigmaDaemon.start({ dataDir: c.dataDir, args: fleetArgs(cluster.endpoints, 'rig-c') });
    await nodesUp(a, 2);
    await waitFor('own at rig-a', () => a.request('GET', '/partitions/own'), (reply) => reply.status === 200);
    expect((await a.request('GET', '/partitions/own')).body.partitions[0].maxRunning).toBe(3);
    // Its token works at rig-a, and still at rig-c.
    await waitFor('own\'s token at rig-a', () => a.request('GET', '/processes', undefined, asToken(own)), (reply) => reply.status === 200);
    expect((await c.request('GET', '/processes', undefined, asToken(own))).status).toBe(200);

    // Revoked at rig-a (under the fleet's id): it stops working at rig-c.
    const listed = (await a.request('GET', '/partitions/own/tokens')).body.tokens as { id: number }[];
    expect(listed).toHaveLength(1);
    expect((await a.request('DELETE', `/partitions/own/tokens/${listed[0]?.id}`)).status).toBe(204);
    expect((await a.request('GET', '/processes', undefined, asToken(own))).status).toBe(401);
    await waitFor('own\'s token refused at rig-c', () => c.request('GET', '/processes', undefined, asToken(own)), (reply) => reply.status === 401);

    // rig-c is down while own is deleted: back, it drops own.
    expect(await c.stop()).toBe(0);
    expect((await a.request('DELETE', '/partitions/own')).status).toBe(204);
    c = await SigmaDaemon.start({ dataDir: c.dataDir, args: fleetArgs(cluster.endpoints, 'rig-c') });
    await waitFor('own gone at rig-c', () => c.request('GET', '/partitions/own'), (reply) => reply.status === 404);
    expect(await a.stop()).toBe(0);
    expect(await c.stop()).toBe(0);
  }, 120_000);
});
