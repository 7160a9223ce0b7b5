// 6. Peers, side by side: the same work through sigma (its default, native launcher), supervisord and
// PM2, each installed by the bench (skipped with a message if it cannot be): list 100 processes, start
// one, stop one, start 100 short jobs, daemon memory with 100 processes (sigma's also with its
// launcher's). Samples and rounds interleaved across the three.
import { forEachConcurrently } from '../lib/apiClient.js';
import { record } from '../lib/figures.js';
import type { Plan } from '../lib/plan.js';
import { ensurePm2, Pm2 } from '../lib/pm2.js';
import { rssBytes } from '../lib/procfs.js';
import { createProcesses, startSigma, type SigmaDaemon } from '../lib/sigmaDaemon.js';
import { median, percentile } from '../lib/stats.js';
import { ensureSupervisord, Supervisord } from '../lib/supervisord.js';

const SECTION = 'peers';
const CLIENTS = 8;
const MB = 1024 * 1024;

/** One manager under the same work. */
interface Contender {
  readonly name: string;
  listAll(): Promise<void>;
  startOne(): Promise<void>;
  stopOne(): Promise<void>;
  /** Starts the short jobs with 8 clients and resolves once every one has ended. */
  startShortJobs(): Promise<void>;
  readonly pid: number;
  /** A second process the manager needs (sigma's launcher), counted in its memory. */
  readonly helperPid?: number | null;
}

interface Measures {
  listPerS: number[];
  startMs: number[];
  stopMs: number[];
  shortJobsS: number[];
  rssMb: number;
  /** With its helper process (sigma's launcher); the daemon alone for the others. */
  totalRssMb: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchPeers(plan: Plan, log: (line: string) => void): Promise<void> {
  const count = plan.peerProcesses;
  const contenders: Contender[] = [];
  const skipped = new Map<string, string>();
  const sigma = await startSigma({ tls: true, maxSockets: CLIENTS });
  const stops: Array<() => Promise<void>> = [() => sigma.stop()];
  try {
    log(`  sigma runs its jobs ${sigma.launcher === 'native' ? `under the native launcher (pid ${sigma.launcherPid})` : 'in its own process (--launcher in-process)'}`);
    contenders.push(await sigmaContender(sigma, count));
    const supervisordBinary = ensureSupervisord(log);
    if ('skipped' in supervisordBinary) skipped.set('supervisord', supervisordBinary.skipped);
    else {
      try {
        const supervisord = await Supervisord.start(supervisordBinary.path, [
          ...Array.from({ length: count }, (_, i) => ({ name: `sleep-${i}`, command: 'sleep 3600', autostart: true })),
          { name: 'op-sleep', command: 'sleep 3600', autostart: false },
          ...Array.from({ length: count }, (_, i) => ({ name: `short-${i}`, command: 'true', autostart: false })),
        ]);
        stops.push(() => supervisord.stop());
        contenders.push(supervisordContender(supervisord, count));
      } catch (error) {
        skipped.set('supervisord', `supervisord could not be run: ${String(error).slice(0, 200)}`);
      }
    }
    const pm2Package = ensurePm2(log);
    if ('skipped' in pm2Package) skipped.set('PM2', pm2Package.skipped);
    else {
      try {
        const pm2 = await Pm2.start(pm2Package.path);
        stops.push(() => pm2.stop());
        contenders.push(await pm2Contender(pm2, count));
        log(`  PM2 ${pm2.version} ready`);
      } catch (error) {
        skipped.set('PM2', `PM2 could not be run: ${String(error).slice(0, 200)}`);
      }
    }
    for (const [name, reason] of skipped) log(`  ${name} skipped: ${reason}`);

    const measures = new Map<string, Measures>(contenders.map((c) => [c.name, { listPerS: [], startMs: [], stopMs: [], shortJobsS: [], rssMb: Number.NaN, totalRssMb: Number.NaN }]));
    // Memory first, with the 100 processes running and nothing else under way.
    await sleep(1000);
    for (const contender of contenders) {
      const m = measures.get(contender.name) as Measures;
      m.rssMb = (rssBytes(contender.pid) ?? Number.NaN) / MB;
      m.totalRssMb = m.rssMb + (contender.helperPid ? (rssBytes(contender.helperPid) ?? Number.NaN) / MB : 0);
    }
    const rotate = (round: number): Contender[] => contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
    for (let round = 0; round < plan.rounds; round += 1) {
      for (const contender of rotate(round)) {
        const listS = plan.quick ? 0.3 : 0.6;
        let lists = 0;
        const startMs = performance.now();
        while (performance.now() - startMs < listS * 1000) {
          await contender.listAll();
          lists += 1;
        }
        (measures.get(contender.name) as Measures).listPerS.push((lists * 1000) / (performance.now() - startMs));
      }
    }
    for (let sample = 0; sample < plan.peerSamples; sample += 1) {
      for (const contender of rotate(sample)) {
        const m = measures.get(contender.name) as Measures;
        const t0 = performance.now();
        await contender.startOne();
        const t1 = performance.now();
        await contender.stopOne();
        m.startMs.push(t1 - t0);
        m.stopMs.push(performance.now() - t1);
      }
    }
    for (let round = 0; round < plan.rounds; round += 1) {
      for (const contender of rotate(round)) {
        const t0 = performance.now();
        await contender.startShortJobs();
        (measures.get(contender.name) as Measures).shortJobsS.push((performance.now() - t0) / 1000);
      }
    }
    recordPeers(plan, measures, skipped);
    for (const [name, m] of measures) {
      log(`  ${name}: list ${median(m.listPerS).toFixed(0)}/s, start p50 ${percentile(m.startMs, 50).toFixed(1)} ms, stop p50 ${percentile(m.stopMs, 50).toFixed(1)} ms, ${count} short jobs ${median(m.shortJobsS).toFixed(2)} s, RSS ${m.rssMb.toFixed(0)} MB`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function recordPeers(plan: Plan, measures: Map<string, Measures>, skipped: Map<string, string>): void {
  const ours = measures.get('sigma') as Measures;
  const count = plan.peerProcesses;
  for (const peer of ['supervisord', 'PM2']) {
    const theirs = measures.get(peer);
    const note = theirs ? undefined : (skipped.get(peer) ?? `${peer} skipped`);
    const common = { section: SECTION, baselineLabel: peer, rounds: plan.rounds, ...(note ? { note } : {}) };
    const key = `peers.${peer.toLowerCase()}`;
    record({
      ...common,
      key: `${key}.list`,
      label: `list ${count} processes (1 client): lists/s, sigma vs ${peer}`,
      value: median(ours.listPerS),
      unit: 'lists/s',
      baseline: theirs ? median(theirs.listPerS) : null,
      bar: { kind: 'min', limit: 1, on: 'ratio' },
    });
    record({
      ...common,
      key: `${key}.start`,
      label: `start one (sleep): answer latency p50, sigma vs ${peer}`,
      value: percentile(ours.startMs, 50),
      unit: 'ms',
      baseline: theirs ? percentile(theirs.startMs, 50) : null,
      rounds: plan.peerSamples,
      bar: { kind: 'max', limit: 1, on: 'ratio' },
    });
    record({
      ...common,
      key: `${key}.stop`,
      label: `stop one: answer latency p50, sigma vs ${peer}`,
      value: percentile(ours.stopMs, 50),
      unit: 'ms',
      baseline: theirs ? percentile(theirs.stopMs, 50) : null,
      rounds: plan.peerSamples,
      bar: { kind: 'max', limit: 1, on: 'ratio' },
    });
    record({
      ...common,
      key: `${key}.shortJobs`,
      label: `start ${count} short jobs (true, ${CLIENTS} clients) until all ended, sigma vs ${peer}`,
      value: median(ours.shortJobsS),
      unit: 's',
      baseline: theirs ? median(theirs.shortJobsS) : null,
      bar: { kind: 'max', limit: 1, on: 'ratio' },
    });
    record({
      ...common,
      key: `${key}.rss`,
      label: `daemon RSS with ${count} running processes, sigma vs ${peer}`,
      value: ours.rssMb,
      unit: 'MB',
      baseline: theirs ? theirs.rssMb : null,
      bar: { kind: 'max', limit: 1, on: 'ratio' },
    });
    record({
      ...common,
      key: `${key}.rssWithLauncher`,
      label: `daemon + launcher RSS with ${count} running processes, sigma vs ${peer} (its daemon)`,
      value: ours.totalRssMb,
      unit: 'MB',
      baseline: theirs ? theirs.totalRssMb : null,
    });
  }
}

async function sigmaContender(sigma: SigmaDaemon, count: number): Promise<Contender> {
  await createProcesses(sigma.api, count, 'sleep', ['sleep', '3600'], CLIENTS, { state: 'RUNNING' });
  const [opId] = await createProcesses(sigma.api, 1, 'op-sleep', ['sleep', '3600']);
  const shortIds = await createProcesses(sigma.api, count, 'short', ['true']);
  const shortPrefix = 'short-';
  return {
    name: 'sigma',
    pid: sigma.pid,
    helperPid: sigma.launcherPid,
    listAll: async () => {
      await sigma.api.expect('GET', '/processes', undefined, 200);
    },
    startOne: async () => {
      await sigma.api.expect('PUT', `/processes/${opId}`, { operation: 'START' }, 200);
    },
    stopOne: async () => {
      await sigma.api.expect('PUT', `/processes/${opId}`, { operation: 'STOP' }, 200);
    },
    startShortJobs: async () => {
      await forEachConcurrently(shortIds.length, CLIENTS, async (index) => {
        await sigma.api.expect('PUT', `/processes/${shortIds[index]}`, { operation: 'START' }, 200);
      });
      for (;;) {
        const reply = await sigma.api.expect('GET', '/processes?state=RUNNING', undefined, 200);
        if (!(reply.body.processes as Array<{ name: string }>).some((p) => p.name.startsWith(shortPrefix))) return;
        await sleep(5);
      }
    },
  };
}

function supervisordContender(supervisord: Supervisord, count: number): Contender {
  return {
    name: 'supervisord',
    pid: supervisord.pid,
    listAll: async () => {
      await supervisord.call('supervisor.getAllProcessInfo');
    },
    startOne: async () => {
      await supervisord.call('supervisor.startProcess', ['op-sleep', true]);
    },
    stopOne: async () => {
      await supervisord.call('supervisor.stopProcess', ['op-sleep', true]);
    },
    startShortJobs: async () => {
      await forEachConcurrently(count, CLIENTS, async (index) => {
        await supervisord.call('supervisor.startProcess', [`short-${index}`, false]);
      });
      for (;;) {
        const infos = await supervisord.allProcessInfo();
        if (!infos.some((info) => info.name.startsWith('short-') && (info.state === 'STARTING' || info.state === 'RUNNING'))) return;
        await sleep(5);
      }
    },
  };
}

async function pm2Contender(pm2: Pm2, count: number): Promise<Contender> {
  await forEachConcurrently(count, CLIENTS, (index) => pm2.startApp(`sleep-${index}`, 'sleep', ['3600']).then(() => {}));
  await pm2.startApp('op-sleep', 'sleep', ['3600']);
  await pm2.stopApp('op-sleep');
  await forEachConcurrently(count, CLIENTS, (index) => pm2.startApp(`short-${index}`, 'true', []).then(() => {}));
  const allShortEnded = async (): Promise<void> => {
    for (;;) {
      const apps = await pm2.list();
      if (!apps.some((app) => app.name.startsWith('short-') && (app.status === 'online' || app.status === 'launching'))) return;
      await sleep(5);
    }
  };
  await allShortEnded();
  return {
    name: 'PM2',
    pid: pm2.pid,
    listAll: async () => {
      await pm2.list();
    },
    startOne: async () => {
      await pm2.restart('op-sleep');
    },
    stopOne: async () => {
      await pm2.stopApp('op-sleep');
    },
    startShortJobs: async () => {
      await forEachConcurrently(count, CLIENTS, async (index) => {
        await pm2.restart(`short-${index}`);
      });
      await allShortEnded();
    },
  };
}
