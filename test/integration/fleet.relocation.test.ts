// A fleet moves the relocatable processes of a node that died, and never runs one on two nodes:
// the dead node's launcher ends them first (its fence), a node cut off from etcd ends them itself,
// and a node that comes back drops what was moved away. Each job is found by its mark in /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { isAlive } from '../support/osProcesses.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
});

/** The live (not zombie) processes on this machine whose environment marks them as a job of the process. */
function jobsOf(processId: number, argument: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0] !== 'sleep' || cmdline[1] !== argument) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`SIGMA_PROCESS_ID=${processId}`)) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}


async function nodeUp(daemon: SigmaDaemon, count: number): Promise<void> {
  await waitFor(`${count} nodes up`, async () => (await daemon.request('GET', '/nodes')).body.nodes as { status: string }[], (nodes) => nodes.filter((node) => node.status === 'up').length === count);
}

interface Shown {
  id: number;
  name: string;
  state: string;
  node: string;
  nodeStatus: string;
  pid: number | null;
}

const listed = async (daemon: SigmaDaemon): Promise<Shown[]> => (await daemon.request('GET', '/processes')).body.processes as Shown[];

// Relocation needs the native launcher (its fence); nodes whose jobs run in-process refuse it.
describe.skipIf(ETCD_MISSING !== null || !NATIVE)('a fleet on etcd: relocation', () => {
  it('moves the relocatable processes of a node whose daemon was killed, and the node that comes back runs none of them', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ tls: true, args: fleetArgs(cluster.endpoints, 'rig-a') });
    let b = await SigmaDaemon.start({ tls: true, args: fleetArgs(cluster.endpoints, 'rig-b') });
    await nodeUp(a, 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const mover = (await a.create({ name: 'mover', command: ['sleep', '301'], node: 'rig-b', state: 'RUNNING', relocatable: true })).body.processes[0];
    const ticker = (await a.create({ name: 'ticker', type: 'PERIODIC', period: 200, command: ['sleep', '302'], node: 'rig-b', state: 'RUNNING', relocatable: true })).body.processes[0];
    const stayer = (await a.create({ name: 'stayer', command: ['sleep', '303'], node: 'rig-b', state: 'RUNNING' })).body.processes[0];
    expect(jobsOf(mover.id, '301')).toEqual([mover.pid]);

    // Its daemon alone dies: the launcher keeps its jobs, and ends the relocatable ones (its fence).
    await b.kill();
    const killedAt = Date.now();
    const moved = await waitFor(
      'the relocatable processes RUNNING on rig-a',
      () => listed(a),
      (processes) => processes.filter((process) => process.node === 'rig-a' && process.state === 'RUNNING').length === 2,
      20_000,
    );
    const relocatedInMs = Date.now() - killedAt;
    expect(relocatedInMs).toBeLessThan(10_000);
    expect(moved.map(({ name, node, nodeStatus }) => ({ name, node, nodeStatus }))).toEqual([
      { name: 'mover', node: 'rig-a', nodeStatus: 'up' },
      { name: 'ticker', node: 'rig-a', nodeStatus: 'up' },
      { name: 'stayer', node: 'rig-b', nodeStatus: 'down' },
    ]);
    // The old job of the mover is gone (killed by rig-b's launcher), the new one is rig-a's; the one
    // that is not relocatable runs on under rig-b's launcher.
    expect(isAlive(mover.pid)).toBe(false);
    const moverNow = moved.find((process) => process.name === 'mover') as Shown;
    expect(jobsOf(mover.id, '301')).toEqual([moverNow.pid]);
    expect(jobsOf(stayer.id, '303')).toEqual([stayer.pid]);

    // rig-b comes back: it drops what was moved and adopts the one that stayed.
    b = await SigmaDaemon.start({ tls: true, dataDir: b.dataDir, args: fleetArgs(cluster.endpoints, 'rig-b') });
    await nodeUp(a, 2);
    const after = await waitFor('rig-b back', () => listed(b), (processes) => processes.every((process) => process.nodeStatus === 'up'));
    expect(after.map(({ id, node }) => ({ id, node }))).toEqual([
      { id: mover.id, node: 'rig-a' },
      { id: ticker.id, node: 'rig-a' },
      { id: stayer.id, node: 'rig-b' },
    ]);
    expect(after.find((process) => process.name === 'stayer')?.pid).toBe(stayer.pid);
    // Over a few of the ticker's periods: never a job on both nodes.
    for (let round = 0; round < 10; round++) {
      expect(jobsOf(mover.id, '301')).toEqual([moverNow.pid]);
      expect(jobsOf(ticker.id, '302').length).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [node, id] of [[a, mover.id], [a, ticker.id], [b, stayer.id]] as const) expect((await node.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 120_000);

  it('ends the relocatable processes of a node cut off from etcd before the fleet moves them, and keeps them while etcd is down for all', async () => {
    cluster = await EtcdCluster.start(3);
    // rig-c reaches etcd through member 2 only: killing it cuts rig-c off while the fleet has quorum.
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints.slice(0, 2), 'rig-a') });
    const c = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints.slice(2), 'rig-c') });
    await nodeUp(a, 2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const onA = (await a.create({ name: 'on-a', command: ['sleep', '304'], node: 'rig-a', state: 'RUNNING', relocatable: true })).body.processes[0];

    // etcd down for all: nothing can move, so nothing is ended.
    await cluster.killAll();
    await waitFor('rig-a out of touch', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'unreachable', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(jobsOf(onA.id, '304')).toEqual([onA.pid]);
    await cluster.restart();
    await waitFor('rig-a in touch', async () => (await a.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    await waitFor('rig-c in touch', async () => (await c.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    await nodeUp(a, 2);

    const onC = (await a.create({ name: 'on-c', command: ['sleep', '305'], node: 'rig-c', state: 'RUNNING', relocatable: true })).body.processes[0];
    await cluster.kill(2);
    const moved = await waitFor(
      'on-c RUNNING on rig-a',
      () => listed(a),
      (processes) => processes.some((process) => process.name === 'on-c' && process.node === 'rig-a' && process.state === 'RUNNING'),
      20_000,
    );
    // rig-c ended it (its daemon lives: not its launcher, itself), before rig-a started it.
    expect(isAlive(onC.pid)).toBe(false);
    const onCNow = moved.find((process) => process.name === 'on-c') as Shown;
    expect(jobsOf(onC.id, '305')).toEqual([onCNow.pid]);
    expect(jobsOf(onA.id, '304')).toEqual([onA.pid]);

    // rig-c back in touch: it drops on-c, which it no longer owns.
    await cluster.restart();
    await waitFor('rig-c without on-c', async () => (await c.request('GET', `/processes/${onC.id}`)).body.processes?.[0]?.node, (node) => node === 'rig-a', 20_000);
    await waitFor('rig-c in touch', async () => (await c.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    expect(jobsOf(onC.id, '305')).toEqual([onCNow.pid]);
    for (const id of [onA.id, onC.id]) expect((await a.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await a.stop()).toBe(0);
    expect(await c.stop()).toBe(0);
  }, 150_000);
});
