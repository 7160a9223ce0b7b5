// A fleet moves the relocatable processes of a node that died, and never runs one on two nodes:
// the launcher of a dead or hung daemon ends them first (its fence), a node cut off from etcd ends
// them itself, and a node that comes back drops what was moved away. Each job is found by its mark in /proc.
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
    // How soon is the bench's to measure (`npm run bench`, fleet section: bar 10 s); here, that it happens.
    await b.kill();
    const moved = await waitFor(
      'the relocatable processes RUNNING on rig-a',
      () => listed(a),
      (processes) => processes.filter((process) => process.node === 'rig-a' && process.state === 'RUNNING').length === 2,
      20_000,
    );
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

  it('starts again, once etcd answers, a process the node fenced while cut off and that the fleet could not move, even across a restart of its daemon', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints.slice(0, 2), 'rig-a') });
    const c = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints.slice(2), 'rig-c', 'rig=c') });
    await nodeUp(a, 2);
    // Only rig-c has its label: the fleet has no node to move it to.
    const pinned = (await a.create({ name: 'pinned', command: ['sleep', '308'], placement: { labels: { rig: 'c' } }, state: 'RUNNING', relocatable: true })).body.processes[0];
    expect(pinned.node).toBe('rig-c');
    await cluster.kill(2);
    await waitFor('pinned fenced on rig-c', async () => jobsOf(pinned.id, '308'), (pids) => pids.length === 0, 20_000);
    expect(isAlive(pinned.pid)).toBe(false);

    // rig-c's daemon restarts before etcd answers it again; then etcd does: pinned runs again there.
    await c.kill();
    await cluster.restart();
    const back = await SigmaDaemon.start({ dataDir: c.dataDir, args: fleetArgs(cluster.endpoints.slice(2), 'rig-c', 'rig=c') });
    const again = await waitFor('pinned RUNNING again on rig-c', () => back.process(pinned.id), (shown) => shown?.state === 'RUNNING' && shown.pid !== pinned.pid, 20_000);
    expect(jobsOf(pinned.id, '308')).toEqual([again.pid]);
    expect((await back.operate(pinned.id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await a.stop()).toBe(0);
    expect(await back.stop()).toBe(0);
  }, 120_000);

  it('keeps the relocatable job of a node whose daemon is replaced (--replace): the new daemon vouches for it in time', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b') });
    await nodeUp(a, 2);
    const kept = (await a.create({ name: 'kept', command: ['sleep', '307'], node: 'rig-b', state: 'RUNNING', relocatable: true })).body.processes[0];
    // The same port: the node keeps its URL in the fleet.
    const next = await SigmaDaemon.start({ dataDir: b.dataDir, args: ['--replace', '--port', new URL(b.url).port, ...fleetArgs(cluster.endpoints, 'rig-b')] });
    b.expectedExit = true;
    expect(await b.waitExit()).toBe(0);
    // Past the launcher's fence and the fleet's relocation: the same job, on the same node.
    for (let round = 0; round < 16; round++) {
      expect(jobsOf(kept.id, '307')).toEqual([kept.pid]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await listed(a)).find((shown) => shown.id === kept.id)).toMatchObject({ node: 'rig-b', state: 'RUNNING', pid: kept.pid });
    expect((await next.operate(kept.id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await a.stop()).toBe(0);
    expect(await next.stop()).toBe(0);
  }, 120_000);

  it('ends the relocatable job of a hung daemon (SIGSTOP) before another node starts it: its launcher fences once the daemon stops vouching', async () => {
    cluster = await EtcdCluster.start(3);
    const a = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-a') });
    const b = await SigmaDaemon.start({ args: fleetArgs(cluster.endpoints, 'rig-b') });
    await nodeUp(a, 2);
    const hung = (await a.create({ name: 'hung', command: ['sleep', '306'], node: 'rig-b', state: 'RUNNING', relocatable: true })).body.processes[0];
    expect(jobsOf(hung.id, '306')).toEqual([hung.pid]);

    // rig-b's daemon hangs with its launcher's socket open: the launcher alone can end the job.
    process.kill(b.pid, 'SIGSTOP');
    try {
      const stoppedAt = Date.now();
      let atMost = 0;
      let moved: Shown | undefined;
      while (!moved && Date.now() - stoppedAt < 20_000) {
        atMost = Math.max(atMost, jobsOf(hung.id, '306').length);
        moved = (await listed(a)).find((shown) => shown.id === hung.id && shown.node === 'rig-a' && shown.state === 'RUNNING');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(moved?.node).toBe('rig-a');
      expect(atMost).toBe(1);
      expect(isAlive(hung.pid)).toBe(false);
      expect(jobsOf(hung.id, '306')).toEqual([moved?.pid]);
    } finally {
      process.kill(b.pid, 'SIGCONT');
    }

    // rig-b wakes: its lease is gone, it joins again and drops the process, which rig-a runs.
    await waitFor('rig-b in touch', async () => (await b.request('GET', '/node')).body.fleet, (fleet) => fleet === 'connected', 20_000);
    await waitFor('rig-b without hung', async () => (await b.request('GET', `/processes/${hung.id}`)).body.processes?.[0]?.node, (node) => node === 'rig-a', 20_000);
    const now = (await listed(a)).find((shown) => shown.id === hung.id) as Shown;
    for (let round = 0; round < 5; round++) {
      expect(jobsOf(hung.id, '306')).toEqual([now.pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await a.operate(hung.id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 120_000);
});
