// Nodes join a fleet on a real three-member etcd: each lists every member with its URL, labels
// and load, sees a node that died go down once its lease expires, keeps serving while an etcd
// member or all of etcd is gone (saying so in GET /node), and refuses a name a live node holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { cleanUpDaemons, CLI_PATH, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
});


interface NodeJson {
  name: string;
  url: string;
  status: string;
  labels: Record<string, string>;
  runningJobs: number | null;
  fingerprint: string | null;
}

async function nodesSeenBy(daemon: SigmaDaemon): Promise<Record<string, NodeJson>> {
  const reply = await daemon.request('GET', '/nodes');
  expect(reply.status).toBe(200);
  return Object.fromEntries((reply.body.nodes as NodeJson[]).map((node) => [node.name, node]));
}

describe.skipIf(ETCD_MISSING !== null)('a fleet on etcd: membership', () => {
  it('lists every node with its URL, labels and load, and a node that died as down', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a', 'rig=a', 'room=lab') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b', 'rig=b') });
    const both = await waitFor('both nodes up, seen from a', () => nodesSeenBy(a), (nodes) => nodes['rig-b']?.status === 'up' && nodes['rig-a']?.status === 'up');
    expect(both['rig-a']).toMatchObject({ url: a.url, labels: { rig: 'a', room: 'lab' }, fingerprint: null, runningJobs: 0 });
    expect(both['rig-b']).toMatchObject({ url: b.url, labels: { rig: 'b' } });
    expect((await a.request('GET', '/node')).body).toMatchObject({ nodeName: 'rig-a', fleet: 'connected' });

    // b's load reaches a.
    const created = await b.create({ name: 'sleeper', command: ['sleep', '300'], node: 'rig-b', state: 'RUNNING' });
    expect(created.status).toBe(201);
    const id = created.body.processes[0].id as number;
    await waitFor("b's running job, seen from a", () => nodesSeenBy(a), (nodes) => nodes['rig-b']?.runningJobs === 1);

    // The fleet serves on with one etcd member gone.
    await cluster.kill(0);
    expect((await nodesSeenBy(a))['rig-b']?.status).toBe('up');

    // b dies (its job stopped first, so that nothing is left behind): a sees it down once its lease expires.
    expect((await b.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    await b.killOutright();
    const after = await waitFor('rig-b down, seen from a', () => nodesSeenBy(a), (nodes) => nodes['rig-b']?.status === 'down', 20_000);
    expect(after['rig-b']).toMatchObject({ status: 'down', runningJobs: null, url: b.url });
    expect(after['rig-a']?.status).toBe('up');
    expect(await a.stop()).toBe(0);
  }, 90_000);

  it('serves on without etcd, says so, and is back in the fleet once etcd returns', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    await waitFor('a up', () => nodesSeenBy(a), (nodes) => nodes['rig-a']?.status === 'up');
    await cluster.killAll();
    await waitFor('GET /node to say etcd is unreachable', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'unreachable', 20_000);
    const known = await a.request('GET', '/nodes');
    expect(known.status).toBe(200);
    expect(known.body).toMatchObject({ fleet: 'unreachable', nodes: [{ name: 'rig-a', url: a.url }] });
    expect((await a.request('GET', '/health')).status).toBe(200);
    await cluster.restart();
    await waitFor('GET /node to say connected again', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    await waitFor('a up again', () => nodesSeenBy(a), (nodes) => nodes['rig-a']?.status === 'up', 20_000);
    expect(await a.stop()).toBe(0);
  }, 90_000);

  it('refuses a name a live node holds, and a node leaving cleanly is down at once', async () => {
    cluster = await EtcdCluster.start(1);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b') });
    const dataDir = mkdtempSync(join(tmpdir(), 'sigma-test-'));
    try {
      const second = spawnSync(process.execPath, [CLI_PATH, 'serve', '--no-tls', '--port', '0', '--data-dir', dataDir, '--token', a.token, ...fleetArgs(cluster.endpoints, 'rig-a')], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain('"rig-a" is held by a live node');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    expect(await b.stop()).toBe(0);
    // Its lease is revoked as it stops: down without waiting for the lease to expire.
    expect((await nodesSeenBy(a))['rig-b']?.status).toBe('down');
    expect(await a.stop()).toBe(0);
  }, 60_000);

  it('lists a node started without --fleet as the one node, and refuses a partition token (403)', async () => {
    const alone = await SigmaDaemon.start();
    const reply = await alone.request('GET', '/nodes');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      fleet: null,
      nodes: [{ name: hostname(), url: alone.url, labels: {}, fingerprint: null, launcher: NATIVE ? 'native' : 'in-process', status: 'up', runningJobs: 0, partitions: ['default'] }],
    });
    expect((await alone.request('GET', '/node')).body).toMatchObject({ nodeName: null, fleet: null });
    expect((await alone.request('POST', '/partitions', { name: 'lab' })).status).toBe(201);
    const token = (await alone.request('POST', '/partitions/lab/tokens', {})).body.tokens[0].token as string;
    const refused = await alone.request('GET', '/nodes', undefined, { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(403);
    expect(await alone.stop()).toBe(0);
  });
});
