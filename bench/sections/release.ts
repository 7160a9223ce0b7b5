// 3. Release precision: 20 PERIODIC processes at 10 ms and at 100 ms. Lateness of each job's own
// first clock reading against its ideal release on the grid (SIGMA_RELEASE_AT_MS), and how many jobs
// each engine starts in the same time, for sigma with its native launcher (the default), sigma
// --launcher in-process (the daemon spawns), a bare Node absolute-deadline loop spawning the same
// child, and a C clock_nanosleep + posix_spawn loop; rounds interleaved. With each sigma, the
// daemon's event loop delay over the same windows (its own /metrics).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { childScript, runChild } from '../lib/childScripts.js';
import { loopSamplingMs, scrapeLoopDelay, type LoopDelay } from '../lib/eventLoopDelay.js';
import { record } from '../lib/figures.js';
import { nativePrograms } from '../lib/native.js';
import type { Plan } from '../lib/plan.js';
import { cpuTimeMs, rssBytes } from '../lib/procfs.js';
import { requireNativeLauncher, startSigma, type LauncherMode, type SigmaDaemon } from '../lib/sigmaDaemon.js';
import { max, median, percentile } from '../lib/stats.js';

const SECTION = 'release';
const MB = 1024 * 1024;

interface RoundResult {
  /**
   * Lateness of the jobs whose release point lies in the round's window: every grid armed, for the
   * round's length (for sigma, from the answer to the last START: a START's own release is the
   * daemon's spawn, not a timer's, and is left to the operations section's START latency).
   */
  readonly latenessMs: number[];
  /** Every job the round started (sigma's runs from its first START to its last STOP). */
  readonly jobsStarted: number;
  readonly overruns: number;
  readonly missed: number;
  /** CPU the releasing processes used (sigma: the daemon, and the launcher), per job started. */
  readonly cpuMsPerJob: number | null;
  /** The daemon's event loop over the window (sigma only). */
  readonly loopDelay: LoopDelay | null;
}

type EngineName = 'native' | 'inProcess' | 'node' | 'c';

interface Engine {
  readonly name: EngineName;
  readonly label: string;
  /** The releasing daemon's RSS now (with its launcher's), for the daemons. */
  rssMb(): number | null;
  run(periodMs: number, durationMs: number): Promise<RoundResult>;
  close(): Promise<void>;
}

export async function benchRelease(plan: Plan, log: (line: string) => void): Promise<void> {
  const native = nativePrograms();
  for (const periodMs of plan.releasePeriodsMs) {
    const engines: Engine[] = [];
    const results = new Map<EngineName, RoundResult[]>();
    const roundMs = (plan.releaseSeconds * 1000) / plan.releaseRounds;
    const rss = new Map<EngineName, number | null>();
    try {
      engines.push(await sigmaEngine(plan, periodMs, 'native', native.stamp));
      engines.push(await sigmaEngine(plan, periodMs, 'in-process', native.stamp));
      engines.push(nodeLoopEngine(plan, native.stamp));
      if (native.periodicSpawner) engines.push(cEngine(plan, native.periodicSpawner, native.stamp));
      for (const engine of engines) results.set(engine.name, []);
      for (let round = 0; round < plan.releaseRounds; round += 1) {
        // Each round starts with another engine, so that drift of the machine hits all alike.
        const order = engines.map((_, index) => engines[(index + round) % engines.length] as Engine);
        for (const engine of order) {
          const result = await engine.run(periodMs, roundMs);
          results.get(engine.name)?.push(result);
          const loop = result.loopDelay ? `, event loop delay p99 ${result.loopDelay.p99Ms.toFixed(2)} ms` : '';
          log(
            `  ${periodMs} ms, round ${round + 1}, ${engine.label}: ${result.jobsStarted} jobs (${result.latenessMs.length} in the window), p99 ${percentile(result.latenessMs, 99).toFixed(3)} ms, overruns ${result.overruns}, missed ${result.missed}${loop}`,
          );
        }
      }
      for (const engine of engines) rss.set(engine.name, engine.rssMb());
    } finally {
      for (const engine of engines) await engine.close();
    }
    recordPeriod(plan, periodMs, roundMs, results, rss, native.note);
  }
}

function summarize(rounds: readonly RoundResult[]) {
  const loop = rounds.map((r) => r.loopDelay).filter((delay): delay is LoopDelay => delay !== null);
  return {
    p50: median(rounds.map((r) => percentile(r.latenessMs, 50))),
    p99: median(rounds.map((r) => percentile(r.latenessMs, 99))),
    max: max(rounds.map((r) => max(r.latenessMs))),
    overruns: rounds.reduce((sum, r) => sum + r.overruns, 0),
    missed: rounds.reduce((sum, r) => sum + r.missed, 0),
    jobs: rounds.reduce((sum, r) => sum + r.jobsStarted, 0),
    jobsInWindow: median(rounds.map((r) => r.latenessMs.length)),
    cpuMsPerJob: median(rounds.map((r) => r.cpuMsPerJob ?? Number.NaN)),
    loopP50: median(loop.map((d) => d.p50Ms)),
    loopP99: median(loop.map((d) => d.p99Ms)),
    loopMax: max(loop.map((d) => d.maxMs)),
    loopRawP99: median(loop.map((d) => d.rawP99Ms)),
  };
}

function recordPeriod(
  plan: Plan,
  periodMs: number,
  roundMs: number,
  results: Map<EngineName, RoundResult[]>,
  rss: Map<EngineName, number | null>,
  nativeNote: string | null,
): void {
  const ours = summarize(results.get('native') ?? []);
  const inProcess = summarize(results.get('inProcess') ?? []);
  const node = summarize(results.get('node') ?? []);
  const c = results.has('c') ? summarize(results.get('c') ?? []) : null;
  const base = `${plan.releaseProcesses} PERIODIC at ${periodMs} ms`;
  const key = `release.${periodMs}ms`;
  const rounds = plan.releaseRounds;
  const barred = periodMs === 100;
  const windowS = roundMs / 1000;
  // Every engine against the C loop, each figure the median of its interleaved rounds.
  const vsC = { section: SECTION, baselineLabel: 'C loop', rounds, ...(c ? {} : { note: nativeNote ?? 'no C figure' }) };

  // sigma, native launcher (the default): the bars.
  record({ ...vsC, key: `${key}.native.p50`, label: `${base}, sigma: job start lateness p50`, value: ours.p50, unit: 'ms', baseline: c?.p50 ?? null });
  record({
    ...vsC,
    key: `${key}.native.p99`,
    label: `${base}, sigma: job start lateness p99`,
    value: ours.p99,
    unit: 'ms',
    baseline: c?.p99 ?? null,
    ...(barred ? { bar: { kind: 'max', limit: 2, on: 'ratio' } as const } : {}),
  });
  record({ ...vsC, key: `${key}.native.max`, label: `${base}, sigma: job start lateness max`, value: ours.max, unit: 'ms', baseline: c?.max ?? null });
  record({
    ...vsC,
    key: `${key}.native.missed`,
    label: `${base}, sigma: releases missed (${ours.jobs} jobs started)`,
    value: ours.missed,
    unit: 'releases',
    baseline: c?.missed ?? null,
    ...(barred ? { bar: { kind: 'max', limit: 0, on: 'value' } as const } : {}),
  });
  record({ ...vsC, key: `${key}.native.overruns`, label: `${base}, sigma: overruns`, value: ours.overruns, unit: 'releases', baseline: c?.overruns ?? null });
  record({
    ...vsC,
    key: `${key}.native.jobs`,
    label: `${base}, sigma: jobs started in ${formatS(windowS)} s with every grid armed`,
    value: ours.jobsInWindow,
    unit: 'jobs',
    baseline: c?.jobsInWindow ?? null,
    ...(periodMs === 10 ? { bar: { kind: 'min', limit: 0.8, on: 'ratio' } as const } : {}),
  });
  record({ ...vsC, key: `${key}.native.cpuPerJob`, label: `${base}, sigma: CPU of the daemon + launcher per job`, value: ours.cpuMsPerJob, unit: 'ms', baseline: c?.cpuMsPerJob ?? null });

  // sigma --launcher in-process (the daemon spawns with Node's spawn): before the launcher.
  record({ ...vsC, key: `${key}.inProcess.p50`, label: `${base}, sigma --launcher in-process: job start lateness p50`, value: inProcess.p50, unit: 'ms', baseline: c?.p50 ?? null });
  record({ ...vsC, key: `${key}.inProcess.p99`, label: `${base}, sigma --launcher in-process: job start lateness p99`, value: inProcess.p99, unit: 'ms', baseline: c?.p99 ?? null });
  record({ ...vsC, key: `${key}.inProcess.max`, label: `${base}, sigma --launcher in-process: job start lateness max`, value: inProcess.max, unit: 'ms', baseline: c?.max ?? null });
  record({ ...vsC, key: `${key}.inProcess.missed`, label: `${base}, sigma --launcher in-process: releases missed (${inProcess.jobs} jobs started)`, value: inProcess.missed, unit: 'releases', baseline: c?.missed ?? null });
  record({ ...vsC, key: `${key}.inProcess.jobs`, label: `${base}, sigma --launcher in-process: jobs started in ${formatS(windowS)} s`, value: inProcess.jobsInWindow, unit: 'jobs', baseline: c?.jobsInWindow ?? null });
  record({ ...vsC, key: `${key}.inProcess.cpuPerJob`, label: `${base}, sigma --launcher in-process: CPU of the daemon per job`, value: inProcess.cpuMsPerJob, unit: 'ms', baseline: c?.cpuMsPerJob ?? null });

  // The bare Node loop: what Node's own spawn gives.
  record({ ...vsC, key: `${key}.node.p99`, label: `${base}, bare Node loop: job start lateness p99`, value: node.p99, unit: 'ms', baseline: c?.p99 ?? null });
  record({ ...vsC, key: `${key}.node.missed`, label: `${base}, bare Node loop: releases missed (${node.jobs} jobs started)`, value: node.missed, unit: 'releases', baseline: c?.missed ?? null });
  record({ ...vsC, key: `${key}.node.jobs`, label: `${base}, bare Node loop: jobs started in ${formatS(windowS)} s`, value: node.jobsInWindow, unit: 'jobs', baseline: c?.jobsInWindow ?? null });

  // The daemon's event loop while it runs them: an absolute bar, the in-process daemon for context.
  const loopCommon = { section: SECTION, baselineLabel: 'sigma --launcher in-process', rounds };
  record({
    ...loopCommon,
    key: `${key}.eventLoopDelay.p99`,
    label: `${base}, sigma: daemon event loop delay p99 (beyond its ${loopSamplingMs()} ms sampling timer), median of rounds`,
    value: ours.loopP99,
    unit: 'ms',
    baseline: inProcess.loopP99,
    ...(barred ? { bar: { kind: 'max', limit: 2, on: 'value' } as const } : {}),
  });
  record({ ...loopCommon, key: `${key}.eventLoopDelay.p50`, label: `${base}, sigma: daemon event loop delay p50`, value: ours.loopP50, unit: 'ms', baseline: inProcess.loopP50 });
  record({ ...loopCommon, key: `${key}.eventLoopDelay.max`, label: `${base}, sigma: daemon event loop delay max`, value: ours.loopMax, unit: 'ms', baseline: inProcess.loopMax });
  record({
    ...loopCommon,
    key: `${key}.eventLoopDelay.rawP99`,
    label: `${base}, sigma: sigma_daemon_nodejs_eventloop_lag_p99_seconds as scraped (sampling timer included)`,
    value: ours.loopRawP99,
    unit: 'ms',
    baseline: inProcess.loopRawP99,
  });

  record({
    key: `${key}.rss`,
    section: SECTION,
    label: `${base}, sigma: daemon + launcher RSS after the rounds`,
    value: rss.get('native') ?? null,
    unit: 'MB',
    baselineLabel: 'sigma --launcher in-process, daemon',
    baseline: rss.get('inProcess') ?? null,
  });
}

function formatS(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
}

async function sigmaEngine(plan: Plan, periodMs: number, mode: LauncherMode, stamp: readonly string[]): Promise<Engine> {
  // The default is the daemon's own choice (native); in-process is asked for.
  const daemon = await startSigma({ tls: false, ...(mode === 'in-process' ? { launcher: 'in-process' as const } : {}) });
  if (mode === 'native') requireNativeLauncher(daemon);
  else if (daemon.launcher !== 'in-process') throw new Error(`--launcher in-process: the daemon says its jobs run ${daemon.launcher}`);
  const ids: number[] = [];
  for (let index = 0; index < plan.releaseProcesses; index += 1) {
    const reply = await daemon.api.expect('POST', '/processes', { name: `periodic-${index}`, type: 'PERIODIC', period: periodMs, command: stamp }, 201);
    ids.push(reply.body.processes[0].id as number);
  }
  const offsets = new Map<number, number>(ids.map((id) => [id, 0]));
  const cpuNowMs = (): number => (cpuTimeMs(daemon.pid) ?? 0) + (daemon.launcherPid !== null ? (cpuTimeMs(daemon.launcherPid) ?? 0) : 0);
  return {
    name: mode === 'native' ? 'native' : 'inProcess',
    label: mode === 'native' ? 'sigma' : 'sigma --launcher in-process',
    rssMb: () => ((rssBytes(daemon.pid) ?? Number.NaN) + (daemon.launcherPid !== null ? (rssBytes(daemon.launcherPid) ?? Number.NaN) : 0)) / MB,
    close: () => daemon.stop(),
    run: async (periodMs, durationMs) => {
      const before = await counters(daemon, ids);
      const cpuBeforeMs = cpuNowMs();
      // The grids spread evenly over one period, like the loops' (START puts release 0 at once):
      // bunched grids would make every release wait behind the others' spawns.
      const firstMs = performance.now();
      for (const [index, id] of ids.entries()) {
        const waitMs = firstMs + (periodMs * index) / ids.length - performance.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        await daemon.api.expect('PUT', `/processes/${id}`, { operation: 'START' }, 200);
      }
      // The window: every grid armed, from here for durationMs; the first scrape resets the histogram.
      const windowStartMs = Date.now();
      await scrapeLoopDelay(daemon.api);
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      const loopDelay = await scrapeLoopDelay(daemon.api);
      // Counted before the STOPs: a point that passes while its process is being stopped is not missed.
      const after = await counters(daemon, ids);
      for (const id of ids) await daemon.api.expect('PUT', `/processes/${id}`, { operation: 'STOP' }, 200);
      const cpuMs = cpuNowMs() - cpuBeforeMs;
      const latenessMs: number[] = [];
      let jobsStarted = 0;
      for (const id of ids) {
        const stamps = stampsOf(readNew(join(daemon.dataDir, 'logs', `${id}.stdout.log`), id, offsets));
        jobsStarted += stamps.length;
        for (const stamp of stamps) {
          if (stamp.releaseMs >= windowStartMs && stamp.releaseMs < windowStartMs + durationMs) latenessMs.push(stamp.startMs - stamp.releaseMs);
        }
      }
      return {
        latenessMs,
        jobsStarted,
        overruns: after.overruns - before.overruns,
        missed: after.skipped - before.skipped,
        cpuMsPerJob: jobsStarted > 0 ? cpuMs / jobsStarted : null,
        loopDelay,
      };
    },
  };
}

async function counters(daemon: SigmaDaemon, ids: readonly number[]): Promise<{ overruns: number; skipped: number }> {
  const wanted = new Set(ids);
  const reply = await daemon.api.expect('GET', '/processes?type=PERIODIC', undefined, 200);
  let overruns = 0;
  let skipped = 0;
  for (const process of reply.body.processes as Array<{ id: number; overruns: number; skipped: number }>) {
    if (!wanted.has(process.id)) continue;
    overruns += process.overruns;
    skipped += process.skipped;
  }
  return { overruns, skipped };
}

function readNew(path: string, id: number, offsets: Map<number, number>): string {
  let text = '';
  try {
    const size = statSync(path).size;
    text = readFileSync(path).subarray(offsets.get(id) ?? 0, size).toString('utf8');
    offsets.set(id, size);
  } catch {
    // No job has written yet.
  }
  return text;
}

/** Each "stamp <startMs> <releaseAtMs>" line: the job's first clock reading and its release point. */
function stampsOf(text: string): Array<{ startMs: number; releaseMs: number }> {
  const stamps: Array<{ startMs: number; releaseMs: number }> = [];
  for (const line of text.split('\n')) {
    const [word, start, release] = line.split(' ');
    if (word !== 'stamp' || release === undefined || release === '-') continue;
    stamps.push({ startMs: Number(start), releaseMs: Number(release) });
  }
  return stamps;
}

function loopResult(output: string, cpuMs: number | null): RoundResult {
  const summary = /summary (\d+) (\d+)/.exec(output);
  const latenessMs = stampsOf(output).map((s) => s.startMs - s.releaseMs);
  return {
    // The loops' grids are all armed for exactly the round's length: every job is in the window.
    latenessMs,
    jobsStarted: latenessMs.length,
    overruns: Number(summary?.[1] ?? Number.NaN),
    missed: Number(summary?.[2] ?? Number.NaN),
    cpuMsPerJob: cpuMs !== null && latenessMs.length > 0 ? cpuMs / latenessMs.length : null,
    loopDelay: null,
  };
}

function nodeLoopEngine(plan: Plan, stamp: readonly string[]): Engine {
  return {
    name: 'node',
    label: 'bare Node loop',
    rssMb: () => null,
    close: async () => {},
    run: async (periodMs, durationMs) => {
      const output = await runChild(
        process.execPath,
        [childScript('nodeReleaseLoop.mjs'), String(plan.releaseProcesses), String(periodMs), String(durationMs), ...stamp],
        'bare Node release loop',
      );
      const cpu = /cpu ([\d.]+)/.exec(output);
      return loopResult(output, cpu ? Number(cpu[1]) : null);
    },
  };
}

function cEngine(plan: Plan, spawner: string, stamp: readonly string[]): Engine {
  return {
    name: 'c',
    label: 'C clock_nanosleep loop',
    rssMb: () => null,
    close: async () => {},
    run: async (periodMs, durationMs) => {
      const output = await runChild(spawner, [stamp[0] as string, String(plan.releaseProcesses), String(periodMs), String(durationMs)], 'C release loop');
      const cpu = /cpu ([\d.]+)/.exec(output);
      return loopResult(output, cpu ? Number(cpu[1]) : null);
    },
  };
}
