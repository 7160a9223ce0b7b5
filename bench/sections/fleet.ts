// 7. A fleet: three etcd members and three sigma nodes (HTTPS, each pinning the others'
// certificates) on loopback. The list of 3 nodes x N processes through one node, against one node
// on its own holding all of them; a PUT sent to one node about another's process (forwarded),
// against the same PUT on its own node; and the time from a node's SIGKILL until its relocatable
// processes are RUNNING on the others.
import { etcdMissing, startEtcd } from '../lib/etcd.js';
import { record } from '../lib/figures.js';
import type { Plan } from '../lib/plan.js';
import { createProcesses, startSigma, type SigmaDaemon } from '../lib/sigmaDaemon.js';
import { median, percentile } from '../lib/stats.js';

const SECTION = 'fleet';
const NODES = ['rig-a', 'rig-b', 'rig-c'];
const CLIENTS = 8;
/** The bar: a node's relocatable processes RUNNING elsewhere within this after its SIGKILL. */
const RELOCATION_BAR_S = 10;
/** The bar: a PUT through another node costs at most this much more (p50) than on its own node. */
const FORWARDING_BAR_MS = 5;
const RELOCATION_DEADLINE_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Listed {
  readonly name: string;
  readonly node: string;
  readonly state: string;
}

async function latencies(daemon: SigmaDaemon, method: string, path: string, body: unknown, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const startMs = performance.now();
    await daemon.api.expect(method, path, body, 200);
    times.push(performance.now() - startMs);
  }
  return times;
}

export async function benchFleet(plan: Plan, log: (line: string) => void): Promise<void> {
  const missing = etcdMissing();
  const perNode = plan.fleetProcessesPerNode;
  if (missing) {
    for (const key of ['list.p50', 'put.forwardedExtraMs', 'relocation.s']) {
      record({ key: `fleet.${key}`, section: SECTION, label: `fleet: ${key}`, value: null, unit: '', note: missing });
    }
    return;
  }
  const endpoints = await startEtcd(3);
  const fleetArgs = (name: string): string[] => ['--fleet', endpoints.join(','), '--node-name', name];
  let nodes: SigmaDaemon[] = [];
  for (const name of NODES) nodes.push(await startSigma({ tls: true, extraArgs: fleetArgs(name), maxSockets: CLIENTS }));
  const [a, b] = nodes as [SigmaDaemon, SigmaDaemon, SigmaDaemon];
  const alone = await startSigma({ tls: true, maxSockets: CLIENTS });
  try {
    await waitUntil(async () => ((await a.api.expect('GET', '/nodes', undefined, 200)).body.nodes as { status: string }[]).filter((node) => node.status === 'up').length === 3, 20_000);
    // The nodes read each other's records every 1.3 s.
    await sleep(1500);
    const startMs = performance.now();
    for (const [index, name] of NODES.entries()) {
      await createProcesses(a.api, perNode, `p${index}`, ['true'], CLIENTS, { node: name });
    }
    log(`  ${NODES.length} x ${perNode} processes created through ${NODES[0]} in ${((performance.now() - startMs) / 1000).toFixed(1)} s`);
    await createProcesses(alone.api, perNode * NODES.length, 'p', ['true'], CLIENTS);

    const listed = (await a.api.expect('GET', '/processes', undefined, 200)).body.processes as Listed[];
    if (listed.length !== perNode * NODES.length) throw new Error(`the fleet lists ${listed.length} processes, not ${perNode * NODES.length}`);
    const fleetList: number[] = [];
    const aloneList: number[] = [];
    for (let round = 0; round < plan.rounds; round += 1) {
      fleetList.push(...(await latencies(a, 'GET', '/processes', undefined, plan.fleetSamples)));
      aloneList.push(...(await latencies(alone, 'GET', '/processes', undefined, plan.fleetSamples)));
    }
    const total = perNode * NODES.length;
    const listLabel = `GET /processes, ${NODES.length} nodes x ${perNode} processes, through one node (HTTPS, 1 conn)`;
    const aloneLabel = `one node on its own with ${total}`;
    record({ key: 'fleet.list.p50', section: SECTION, label: `${listLabel}: latency p50`, value: median(fleetList), unit: 'ms', baselineLabel: aloneLabel, baseline: median(aloneList), rounds: plan.rounds });
    record({ key: 'fleet.list.p99', section: SECTION, label: `${listLabel}: latency p99`, value: percentile(fleetList, 99), unit: 'ms', baselineLabel: aloneLabel, baseline: percentile(aloneList, 99), rounds: plan.rounds });

    // STOP of a DORMANT process: OK at once, nothing to end, so that the figure is the path alone.
    const onB = (await b.api.expect('GET', `/processes?process_name=p1-0`, undefined, 200)).body.processes[0] as { id: number };
    const forwarded: number[] = [];
    const own: number[] = [];
    for (let round = 0; round < plan.rounds; round += 1) {
      forwarded.push(...(await latencies(a, 'PUT', `/processes/${onB.id}`, { operation: 'STOP' }, plan.fleetSamples)));
      own.push(...(await latencies(b, 'PUT', `/processes/${onB.id}`, { operation: 'STOP' }, plan.fleetSamples)));
    }
    const putLabel = 'PUT /processes/{id} (STOP of a DORMANT process) sent to another node than its own';
    record({ key: 'fleet.put.forwarded.p50', section: SECTION, label: `${putLabel}: latency p50`, value: median(forwarded), unit: 'ms', baselineLabel: 'the same PUT on its own node', baseline: median(own), rounds: plan.rounds });
    record({
      key: 'fleet.put.forwardedExtraMs',
      section: SECTION,
      label: `${putLabel}: p50 over the same PUT on its own node`,
      value: median(forwarded) - median(own),
      unit: 'ms',
      bar: { kind: 'max', limit: FORWARDING_BAR_MS, on: 'value' },
      rounds: plan.rounds,
    });

    const relocations: number[] = [];
    for (let round = 0; round < plan.fleetRelocationRounds; round += 1) {
      const victim = nodes[2] as SigmaDaemon;
      const name = NODES[2] as string;
      const prefix = `reloc${round}`;
      await createProcesses(a.api, plan.fleetRelocatable, prefix, ['sleep', '3600'], CLIENTS, { node: name, relocatable: true, state: 'RUNNING' });
      await victim.kill();
      const killedMs = performance.now();
      const moved = await waitUntil(async () => {
        const processes = (await a.api.expect('GET', '/processes', undefined, 200)).body.processes as Listed[];
        const mine = processes.filter((process) => process.name.startsWith(`${prefix}-`));
        return mine.length === plan.fleetRelocatable && mine.every((process) => process.node !== name && process.state === 'RUNNING');
      }, RELOCATION_DEADLINE_MS);
      const seconds = (performance.now() - killedMs) / 1000;
      relocations.push(moved ? seconds : Number.POSITIVE_INFINITY);
      log(`  round ${round + 1}: ${plan.fleetRelocatable} relocatable processes of a SIGKILLed node RUNNING elsewhere ${moved ? `after ${seconds.toFixed(2)} s` : 'never'}`);
      // The node comes back on its data dir (it removes what was moved), for the next round.
      const back = await startSigma({ tls: true, dataDir: victim.dataDir, extraArgs: fleetArgs(name), maxSockets: CLIENTS });
      nodes = [...nodes.slice(0, 2), back];
      for (let index = 0; index < plan.fleetRelocatable; index += 1) {
        await a.api.expect('DELETE', `/processes/${(await a.api.expect('GET', `/processes?process_name=${prefix}-${index}`, undefined, 200)).body.processes[0].id}`, undefined, 204);
      }
    }
    record({
      key: 'fleet.relocation.s',
      section: SECTION,
      label: `${plan.fleetRelocatable} relocatable processes of a SIGKILLed node: RUNNING on the others, from the kill (median)`,
      value: median(relocations),
      unit: 's',
      bar: { kind: 'max', limit: RELOCATION_BAR_S, on: 'value' },
      rounds: relocations.length,
    });
  } finally {
    for (const node of [...nodes, alone]) await node.stop();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}
