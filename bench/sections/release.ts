// 3. Release precision: 20 PERIODIC processes at 10 ms and at 100 ms. Lateness of each job's own
// first clock reading against its ideal release on the grid (SIGMA_RELEASE_AT_MS), for sigma with
// each release waiter, a bare Node absolute-deadline loop spawning the same child, and a C
// clock_nanosleep + posix_spawn loop; rounds interleaved. Then the release decision alone
// (sigma's ReleaseTimers, no spawning) with each waiter, against C's wake-up, with its CPU cost.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { childScript, runChild } from '../lib/childScripts.js';
import { record } from '../lib/figures.js';
import { nativePrograms } from '../lib/native.js';
import type { Plan } from '../lib/plan.js';
import { cpuTimeMs, rssBytes } from '../lib/procfs.js';
import { cliPath, startSigma, type SigmaDaemon } from '../lib/sigmaDaemon.js';
import { max, median, percentile } from '../lib/stats.js';

const SECTION = 'release';

interface RoundResult {
  readonly latenessMs: number[];
  readonly overruns: number;
  readonly missed: number;
  /** CPU the releasing process used, per job started. */
  readonly cpuMsPerJob: number | null;
}

interface Engine {
  readonly name: string;
  readonly label: string;
  /** The releasing daemon's RSS now, for the daemons. */
  rssMb(): number | null;
  run(periodMs: number, durationMs: number): Promise<RoundResult>;
  close(): Promise<void>;
}

export async function benchRelease(plan: Plan, log: (line: string) => void): Promise<void> {
  const native = nativePrograms();
  for (const periodMs of plan.releasePeriodsMs) {
    const engines: Engine[] = [
      await sigmaEngine(plan, periodMs, false, native.stamp),
      await sigmaEngine(plan, periodMs, true, native.stamp),
      nodeLoopEngine(plan, native.stamp),
      ...(native.periodicSpawner ? [cEngine(plan, native.periodicSpawner, native.stamp)] : []),
    ];
    const results = new Map<string, RoundResult[]>(engines.map((engine) => [engine.name, []]));
    const roundMs = (plan.releaseSeconds * 1000) / plan.releaseRounds;
    try {
      for (let round = 0; round < plan.releaseRounds; round += 1) {
        // Each round starts with another engine, so that drift of the machine hits all alike.
        const order = engines.map((_, index) => engines[(index + round) % engines.length] as Engine);
        for (const engine of order) {
          const result = await engine.run(periodMs, roundMs);
          results.get(engine.name)?.push(result);
          log(`  ${periodMs} ms, round ${round + 1}, ${engine.label}: ${result.latenessMs.length} jobs, p99 ${percentile(result.latenessMs, 99).toFixed(3)} ms, overruns ${result.overruns}, missed ${result.missed}`);
        }
      }
      const [loopRss, threadRss] = [engines[0]?.rssMb() ?? null, engines[1]?.rssMb() ?? null];
      record({
        key: `release.${periodMs}ms.thread.rss`,
        section: SECTION,
        label: `${plan.releaseProcesses} PERIODIC at ${periodMs} ms, waiter thread: daemon RSS after the rounds`,
        value: threadRss,
        unit: 'MB',
        baselineLabel: 'sigma, event loop timers',
        baseline: loopRss,
      });
    } finally {
      for (const engine of engines) await engine.close();
    }
    recordPeriod(plan, periodMs, results, native.note);
  }
  await benchDecision(plan, log, native.periodicSpawner);
}

function summarize(rounds: readonly RoundResult[]) {
  return {
    p50: median(rounds.map((r) => percentile(r.latenessMs, 50))),
    p99: median(rounds.map((r) => percentile(r.latenessMs, 99))),
    max: max(rounds.map((r) => max(r.latenessMs))),
    overruns: rounds.reduce((sum, r) => sum + r.overruns, 0),
    missed: rounds.reduce((sum, r) => sum + r.missed, 0),
    jobs: rounds.reduce((sum, r) => sum + r.latenessMs.length, 0),
    cpuMsPerJob: median(rounds.map((r) => r.cpuMsPerJob ?? Number.NaN)),
  };
}

function recordPeriod(plan: Plan, periodMs: number, results: Map<string, RoundResult[]>, nativeNote: string | null): void {
  const sigma = summarize(results.get('sigma') ?? []);
  const precise = summarize(results.get('sigmaThread') ?? []);
  const node = summarize(results.get('node') ?? []);
  const c = results.has('c') ? summarize(results.get('c') ?? []) : null;
  const base = `${plan.releaseProcesses} PERIODIC at ${periodMs} ms`;
  const key = `release.${periodMs}ms`;
  const rounds = plan.releaseRounds;
  record({ key: `${key}.p50`, section: SECTION, label: `${base}: job start lateness p50`, value: sigma.p50, unit: 'ms', baselineLabel: 'bare Node loop', baseline: node.p50, rounds });
  record({
    key: `${key}.p99`,
    section: SECTION,
    label: `${base}: job start lateness p99`,
    value: sigma.p99,
    unit: 'ms',
    baselineLabel: 'bare Node loop',
    baseline: node.p99,
    rounds,
    bar: { kind: 'max', limit: 1.5, on: 'ratio' },
  });
  record({ key: `${key}.max`, section: SECTION, label: `${base}: job start lateness max`, value: sigma.max, unit: 'ms', baselineLabel: 'bare Node loop', baseline: node.max, rounds });
  record({
    key: `${key}.missed`,
    section: SECTION,
    label: `${base}: releases missed (${sigma.jobs} jobs started)`,
    value: sigma.missed,
    unit: 'releases',
    baselineLabel: 'bare Node loop',
    baseline: node.missed,
    rounds,
    bar: { kind: 'max', limit: 0, on: 'value' },
  });
  record({ key: `${key}.overruns`, section: SECTION, label: `${base}: overruns`, value: sigma.overruns, unit: 'releases', baselineLabel: 'bare Node loop', baseline: node.overruns, rounds });
  record({ key: `${key}.cpuPerJob`, section: SECTION, label: `${base}: CPU of the releasing process per job`, value: sigma.cpuMsPerJob, unit: 'ms', baselineLabel: 'bare Node loop', baseline: node.cpuMsPerJob, rounds });
  const cNote = c ? undefined : (nativeNote ?? 'no C figure');
  record({ key: `${key}.c.p50`, section: SECTION, label: `${base}: C clock_nanosleep + posix_spawn, job start lateness p50`, value: c?.p50 ?? null, unit: 'ms', rounds, ...(cNote ? { note: cNote } : {}) });
  record({ key: `${key}.c.p99`, section: SECTION, label: `${base}: C clock_nanosleep + posix_spawn, job start lateness p99`, value: c?.p99 ?? null, unit: 'ms', rounds, ...(cNote ? { note: cNote } : {}) });
  record({ key: `${key}.c.missed`, section: SECTION, label: `${base}: C loop, releases missed (${c?.jobs ?? 0} jobs started)`, value: c?.missed ?? null, unit: 'releases', rounds, ...(cNote ? { note: cNote } : {}) });
  record({ key: `${key}.thread.p50`, section: SECTION, label: `${base}, waiter thread: job start lateness p50`, value: precise.p50, unit: 'ms', baselineLabel: 'C loop', baseline: c?.p50 ?? null, rounds, ...(cNote ? { note: cNote } : {}) });
  record({
    key: `${key}.thread.p99`,
    section: SECTION,
    label: `${base}, waiter thread: job start lateness p99`,
    value: precise.p99,
    unit: 'ms',
    baselineLabel: 'C loop',
    baseline: c?.p99 ?? null,
    rounds,
    bar: { kind: 'max', limit: 2, on: 'ratio' },
    ...(cNote ? { note: cNote } : {}),
  });
  record({ key: `${key}.thread.missed`, section: SECTION, label: `${base}, waiter thread: releases missed (${precise.jobs} jobs started)`, value: precise.missed, unit: 'releases', rounds });
  record({ key: `${key}.thread.cpuPerJob`, section: SECTION, label: `${base}, waiter thread: CPU of the daemon per job`, value: precise.cpuMsPerJob, unit: 'ms', baselineLabel: 'sigma, event loop timers', baseline: sigma.cpuMsPerJob, rounds });
}

async function sigmaEngine(plan: Plan, periodMs: number, preciseReleases: boolean, stamp: readonly string[]): Promise<Engine> {
  const daemon = await startSigma({ tls: false, preciseReleases });
  const ids: number[] = [];
  for (let index = 0; index < plan.releaseProcesses; index += 1) {
    const reply = await daemon.api.expect('POST', '/processes', { name: `periodic-${index}`, type: 'PERIODIC', period: periodMs, command: stamp }, 201);
    ids.push(reply.body.processes[0].id as number);
  }
  const offsets = new Map<number, number>(ids.map((id) => [id, 0]));
  return {
    name: preciseReleases ? 'sigmaThread' : 'sigma',
    label: preciseReleases ? 'sigma (waiter thread)' : 'sigma',
    rssMb: () => (rssBytes(daemon.pid) ?? Number.NaN) / (1024 * 1024),
    close: () => daemon.stop(),
    run: async (periodMs, durationMs) => {
      const before = await counters(daemon, ids);
      const cpuBeforeMs = cpuTimeMs(daemon.pid) ?? 0;
      // The grids spread evenly over one period, like the loops' (START puts release 0 at once):
      // bunched grids would make every release wait behind the others' spawns.
      const firstMs = performance.now();
      for (const [index, id] of ids.entries()) {
        const waitMs = firstMs + (periodMs * index) / ids.length - performance.now();
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        await daemon.api.expect('PUT', `/processes/${id}`, { operation: 'START' }, 200);
      }
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      for (const id of ids) await daemon.api.expect('PUT', `/processes/${id}`, { operation: 'STOP' }, 200);
      const cpuMs = (cpuTimeMs(daemon.pid) ?? 0) - cpuBeforeMs;
      const after = await counters(daemon, ids);
      const latenessMs: number[] = [];
      for (const id of ids) {
        const path = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
        const text = readNew(path, offsets);
        latenessMs.push(...latenessOf(text));
      }
      return {
        latenessMs,
        overruns: after.overruns - before.overruns,
        missed: after.skipped - before.skipped,
        cpuMsPerJob: latenessMs.length > 0 ? cpuMs / latenessMs.length : null,
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

function readNew(path: string, offsets: Map<number, number>): string {
  const id = Number(/(\d+)\.stdout\.log$/.exec(path)?.[1]);
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

/** Lateness of each "stamp <startMs> <releaseAtMs>" line. */
function latenessOf(text: string): number[] {
  const lateness: number[] = [];
  for (const line of text.split('\n')) {
    const [word, start, release] = line.split(' ');
    if (word !== 'stamp' || release === undefined || release === '-') continue;
    lateness.push(Number(start) - Number(release));
  }
  return lateness;
}

function loopResult(output: string, cpuMs: number | null): RoundResult {
  const summary = /summary (\d+) (\d+)/.exec(output);
  const latenessMs = latenessOf(output);
  return {
    latenessMs,
    overruns: Number(summary?.[1] ?? Number.NaN),
    missed: Number(summary?.[2] ?? Number.NaN),
    cpuMsPerJob: cpuMs !== null && latenessMs.length > 0 ? cpuMs / latenessMs.length : null,
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

/** The decision alone: sigma's ReleaseTimers with each waiter, and C's wake-up, no spawning. */
async function benchDecision(plan: Plan, log: (line: string) => void, spawner: string | null): Promise<void> {
  const timersModule = join(dirname(cliPath()), '..', 'runtime', 'releaseTimers.js');
  const periodMs = plan.releasePeriodsMs[0] as number;
  const durationMs = plan.quick ? 700 : 1500;
  const samples = new Map<string, { lateness: number[]; cpuMsPerRelease: number }[]>([
    ['eventLoop', []],
    ['thread', []],
    ['c', []],
  ]);
  for (let round = 0; round < plan.releaseRounds; round += 1) {
    for (const waiter of round % 2 === 0 ? ['eventLoop', 'thread'] : ['thread', 'eventLoop']) {
      const output = await runChild(
        process.execPath,
        [childScript('releaseTimersProbe.mjs'), timersModule, waiter, String(plan.releaseProcesses), String(periodMs), String(durationMs)],
        `release timers probe (${waiter})`,
      );
      const lateness = wakesOf(output);
      const cpuMs = Number(/cpu ([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
      samples.get(waiter)?.push({ lateness, cpuMsPerRelease: cpuMs / lateness.length });
    }
    if (spawner) {
      // The C loop's wake-ups alone, spawning nothing, like the probe.
      const output = await runChild(spawner, ['-', String(plan.releaseProcesses), String(periodMs), String(durationMs)], 'C release loop');
      const lateness = wakesOf(output);
      const cpuMs = Number(/cpu ([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
      samples.get('c')?.push({ lateness, cpuMsPerRelease: cpuMs / lateness.length });
    }
  }
  const figure = (name: string) => {
    const rounds = samples.get(name) ?? [];
    return {
      p50: median(rounds.map((r) => percentile(r.lateness, 50))),
      p99: median(rounds.map((r) => percentile(r.lateness, 99))),
      cpu: median(rounds.map((r) => r.cpuMsPerRelease)),
    };
  };
  const loop = figure('eventLoop');
  const thread = figure('thread');
  const c = spawner ? figure('c') : null;
  const base = `release decision alone, ${plan.releaseProcesses} grids at ${periodMs} ms`;
  const cNote = c ? undefined : 'no C compiler (cc)';
  const rounds = plan.releaseRounds;
  record({ key: 'release.decision.eventLoop.p50', section: SECTION, label: `${base}, event loop timers: lateness p50`, value: loop.p50, unit: 'ms', baselineLabel: 'C clock_nanosleep', baseline: c?.p50 ?? null, rounds, ...(cNote ? { note: cNote } : {}) });
  record({ key: 'release.decision.eventLoop.p99', section: SECTION, label: `${base}, event loop timers: lateness p99`, value: loop.p99, unit: 'ms', baselineLabel: 'C clock_nanosleep', baseline: c?.p99 ?? null, rounds, ...(cNote ? { note: cNote } : {}) });
  record({ key: 'release.decision.thread.p50', section: SECTION, label: `${base}, waiter thread: lateness p50`, value: thread.p50, unit: 'ms', baselineLabel: 'C clock_nanosleep', baseline: c?.p50 ?? null, rounds, bar: { kind: 'max', limit: 2, on: 'ratio' }, ...(cNote ? { note: cNote } : {}) });
  record({ key: 'release.decision.thread.p99', section: SECTION, label: `${base}, waiter thread: lateness p99`, value: thread.p99, unit: 'ms', baselineLabel: 'C clock_nanosleep', baseline: c?.p99 ?? null, rounds, bar: { kind: 'max', limit: 2, on: 'ratio' }, ...(cNote ? { note: cNote } : {}) });
  record({ key: 'release.decision.eventLoop.cpu', section: SECTION, label: `${base}, event loop timers: CPU per release`, value: loop.cpu, unit: 'ms', rounds });
  record({ key: 'release.decision.thread.cpu', section: SECTION, label: `${base}, waiter thread: CPU per release`, value: thread.cpu, unit: 'ms', baselineLabel: 'event loop timers', baseline: loop.cpu, rounds });
  log(`  decision: event loop p50 ${loop.p50.toFixed(3)} p99 ${loop.p99.toFixed(3)} ms; thread p50 ${thread.p50.toFixed(3)} p99 ${thread.p99.toFixed(3)} ms; C ${c ? `${c.p50.toFixed(3)} / ${c.p99.toFixed(3)}` : '-'} ms`);
}

function wakesOf(output: string): number[] {
  const wakes: number[] = [];
  for (const line of output.split('\n')) if (line.startsWith('wake ')) wakes.push(Number(line.slice(5)));
  return wakes;
}
