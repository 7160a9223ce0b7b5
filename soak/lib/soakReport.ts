// The soak's verdict, its printed tables and soak/results/latest.json.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { CpuTimes } from './daemonUnderTest.js';
import type { DaemonLogSummary } from './daemonLogSummary.js';
import type { DaemonMetrics } from './daemonMetrics.js';
import { summarize, type Summary } from './latencySummary.js';
import type { Leftover } from './leftoverJobs.js';
import { fittedGrowthPercent, MIN_TREND_SAMPLES } from './memoryTrend.js';
import type { ProcessAccounting } from './releaseAccounting.js';
import { REQUEST_KINDS, type KindFigures, type RequestError, type RequestKind, type SlowRequest } from './requestLedger.js';
import type { SoakOptions } from './soakOptions.js';
import { textTable } from './textTable.js';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly loadAverage: number[];
  readonly node: string;
}

export interface SoakResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: SoakOptions;
  readonly machine: { readonly atStart: MachineInfo; readonly atEnd: MachineInfo };
  readonly daemon: {
    readonly pid: number;
    readonly url: string;
    readonly stop: { code: number | null; signal: string | null; killed: boolean; stopMs: number } | null;
  };
  readonly phasesS: { readonly setup: number; readonly load: number; readonly teardown: number };
  /** Each client's first request: TCP connect, TLS handshake and an answer. */
  readonly connectMs: Summary;
  readonly requests: {
    readonly overall: KindFigures;
    readonly byKind: Record<RequestKind, KindFigures>;
    readonly perSecond: number;
    readonly errorSamples: RequestError[];
    readonly slowest: SlowRequest[];
  };
  readonly releases: ProcessAccounting[];
  readonly latenessMs: number[];
  readonly rss: {
    readonly startKiB: number;
    readonly endKiB: number;
    readonly limitPercent: number;
    readonly samples: { atS: number; rssKiB: number }[];
    /** The V8 heap in use, from the daemon's /metrics every `heapSampleMs`; its fitted growth is held under `heapLimitPercent`. */
    readonly heapSamples: { atS: number; heapUsedKiB: number; heapTotalKiB: number; rssKiB: number; externalKiB: number; eventLoopLagMaxMs: number }[];
    readonly heapSampleMs: number;
    readonly heapLimitPercent: number;
  };
  readonly warmup: { readonly seconds: number; readonly requests: number; readonly errors: number; readonly errorSamples: RequestError[] };
  readonly cpu: { readonly duringLoad: CpuTimes; readonly total: CpuTimes; readonly loadS: number; readonly runnerDuringLoadMs: number };
  readonly daemonMetrics: DaemonMetrics | null;
  readonly leftovers: Leftover[];
  readonly daemonLog: DaemonLogSummary;
}

export interface Verdict {
  readonly pass: boolean;
  readonly reasons: string[];
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
  };
}

export function rssGrowthPercent(results: SoakResults): number {
  return ((results.rss.endKiB - results.rss.startKiB) / results.rss.startKiB) * 100;
}

/** The growth over the load of the line fitted to every RSS sample taken during it, in percent; null with too few samples. */
export function rssTrendPercent(results: SoakResults): number | null {
  return fittedGrowthPercent(results.rss.samples.map((sample) => ({ atS: sample.atS, value: sample.rssKiB })), results.phasesS.load);
}

/** The same for the V8 heap in use. */
export function heapTrendPercent(results: SoakResults): number | null {
  return fittedGrowthPercent(results.rss.heapSamples.map((sample) => ({ atS: sample.atS, value: sample.heapUsedKiB })), results.phasesS.load);
}

/** The same for the RSS outside V8's heap (RSS less what V8 holds for it, read together): native memory, which does not follow the collector. */
export function outsideHeapTrendPercent(results: SoakResults): number | null {
  return fittedGrowthPercent(
    results.rss.heapSamples.map((sample) => ({ atS: sample.atS, value: sample.rssKiB - sample.heapTotalKiB })),
    results.phasesS.load,
  );
}

/**
 * Whether the load was long enough to judge what follows V8's collector (the heap in use, and RSS
 * with it). The heap in use climbs between collections and falls at each (seen: 35 to 100 MiB,
 * RSS 143 to 203 MiB, within 60 s, with no trend): a shorter run reads where that saw-tooth
 * happened to be, not a leak. The RSS outside the heap does not follow it and is judged always.
 */
export const COLLECTOR_JUDGED_FROM_S = 60;

function collectorJudged(results: SoakResults): boolean {
  return results.options.loadSeconds >= COLLECTOR_JUDGED_FROM_S;
}

export function verdictOf(results: SoakResults): Verdict {
  const reasons: string[] = [];
  const errors = results.requests.overall.errors + results.warmup.errors;
  if (errors > 0) reasons.push(`${errors} request error(s): non-2xx answers that no other request explains, or no answer at all`);
  const unaccounted = results.releases.filter((p) => p.difference !== 0);
  if (unaccounted.length > 0) reasons.push(`releases not accounted for in ${unaccounted.length} process(es)`);
  const outsideTrend = outsideHeapTrendPercent(results);
  if (outsideTrend === null) reasons.push(`${results.rss.heapSamples.length} heap sample(s) during the load: at least ${MIN_TREND_SAMPLES} are needed to judge memory`);
  else if (outsideTrend >= results.rss.limitPercent) {
    reasons.push(`the daemon's RSS outside V8's heap trends up ${outsideTrend.toFixed(1)}% over the load, fitted to every sample (limit: under ${results.rss.limitPercent}%)`);
  }
  if (collectorJudged(results)) {
    const growth = rssGrowthPercent(results);
    if (growth >= results.rss.limitPercent) reasons.push(`daemon RSS grew ${growth.toFixed(1)}% (limit: under ${results.rss.limitPercent}%)`);
    const rssTrend = rssTrendPercent(results);
    if (rssTrend !== null && rssTrend >= results.rss.limitPercent) {
      reasons.push(`daemon RSS trends up ${rssTrend.toFixed(1)}% over the load, fitted to every sample (limit: under ${results.rss.limitPercent}%)`);
    }
    const heapTrend = heapTrendPercent(results);
    if (heapTrend !== null && heapTrend >= results.rss.heapLimitPercent) {
      reasons.push(`the daemon's V8 heap trends up ${heapTrend.toFixed(1)}% over the load, fitted to every sample (limit: under ${results.rss.heapLimitPercent}%)`);
    }
  }
  if (results.leftovers.length > 0) reasons.push(`${results.leftovers.length} job process(es) outlived the daemon (killed)`);
  const stop = results.daemon.stop;
  if (stop && (stop.killed || stop.code !== 0)) reasons.push(`the daemon did not exit 0 on SIGTERM (${stop.killed ? 'killed' : `${stop.signal ?? stop.code}`})`);
  return { pass: reasons.length === 0, reasons };
}

const ms = (value: number): string => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const mib = (kib: number): string => (kib / 1024).toFixed(1);

export function printReport(results: SoakResults, verdict: Verdict, print: (line: string) => void): void {
  const { overall, byKind, perSecond } = results.requests;
  print('');
  print(`connections: ${results.connectMs.count} opened during the setup, p50 ${ms(results.connectMs.p50)} ms, max ${ms(results.connectMs.max)} ms`);
  print(`warm-up (part of the setup): ${results.warmup.requests} requests in ${results.warmup.seconds} s, errors ${results.warmup.errors}`);
  print(`requests: ${overall.requests} in ${results.phasesS.load.toFixed(1)} s = ${perSecond.toFixed(0)}/s; errors ${overall.errors}`);
  const kindRow = (name: string, f: KindFigures): string[] => [
    name,
    String(f.requests),
    ms(f.latencyMs.p50),
    ms(f.latencyMs.p99),
    ms(f.latencyMs.max),
    String(f.expectedNon2xx),
    String(f.failedOperations),
    String(f.errors),
  ];
  const rows = REQUEST_KINDS.filter((kind) => byKind[kind].requests > 0 || byKind[kind].errors > 0).map((kind) => kindRow(kind, byKind[kind]));
  print(textTable(['kind', 'requests', 'p50 ms', 'p99 ms', 'max ms', '409/404 expected', 'FAILED result', 'errors'], [...rows, kindRow('all', overall)]));
  const seen = results.daemonMetrics;
  if (seen) {
    const within = Object.entries(seen.requestsWithinMs)
      .filter(([bound]) => ['5', '100', '1000'].includes(bound))
      .map(([bound, share]) => `${(share * 100).toFixed(1)}% within ${bound} ms`)
      .join(', ');
    print(
      `the daemon's own view (/metrics): ${seen.requests} requests, mean ${ms(seen.requestMeanMs)} ms from arrival to answer (${within}); ` +
        `its event loop's longest delay in any ${results.rss.heapSampleMs / 1000} s window of the load: ${ms(Math.max(...results.rss.heapSamples.map((sample) => sample.eventLoopLagMaxMs)))} ms`,
    );
  }
  const slowest = results.requests.slowest.slice(0, 3);
  if (slowest.length > 0) print(`slowest: ${slowest.map((r) => `${r.request} sent at ${r.sentAtS} s took ${r.latencyMs} ms`).join('; ')}`);
  for (const sample of [...results.warmup.errorSamples, ...results.requests.errorSamples].slice(0, 10)) {
    print(`  error at ${sample.atS.toFixed(1)} s: ${sample.request} -> ${sample.status ?? 'no answer'} ${sample.detail}`);
  }

  const totals = results.releases.reduce(
    (sum, p) => ({
      dueMin: sum.dueMin + p.dueMin,
      dueMax: sum.dueMax + p.dueMax,
      runs: sum.runs + p.counters.runs,
      overruns: sum.overruns + p.counters.overruns,
      skipped: sum.skipped + p.counters.skipped,
      spawnFailures: sum.spawnFailures + p.spawnFailures,
      accounted: sum.accounted + p.accounted,
    }),
    { dueMin: 0, dueMax: 0, runs: 0, overruns: 0, skipped: 0, spawnFailures: 0, accounted: 0 },
  );
  const due = totals.dueMin === totals.dueMax ? String(totals.dueMin) : `${totals.dueMin}..${totals.dueMax}`;
  print('');
  print(
    `releases (${results.releases.length} PERIODIC): due ${due}; made (runs) ${totals.runs}, overruns ${totals.overruns}, ` +
      `skipped ${totals.skipped}, failed spawns ${totals.spawnFailures}; accounted ${totals.accounted}`,
  );
  const unaccounted = results.releases.filter((p) => p.difference !== 0);
  if (unaccounted.length === 0) print('every release accounted for');
  for (const p of unaccounted) {
    const range = p.dueMin === p.dueMax ? String(p.dueMin) : `${p.dueMin}..${p.dueMax}`;
    const difference = p.difference === null ? '?' : p.difference > 0 ? `+${p.difference}` : String(p.difference);
    print(
      `  ${p.name} (id ${p.id}): due ${range}, accounted ${p.accounted} (runs ${p.counters.runs}, overruns ${p.counters.overruns}, ` +
        `skipped ${p.counters.skipped}, failed spawns ${p.spawnFailures}; failures ${p.counters.failures}), difference ${difference}${p.note ? `: ${p.note}` : ''}`,
    );
  }
  const lateness = summarize(results.latenessMs);
  print(
    `release lateness (${lateness.count} runs read of ${totals.runs}): p50 ${ms(lateness.p50)} ms, p99 ${ms(lateness.p99)} ms, max ${ms(lateness.max)} ms`,
  );

  const { rss, cpu } = results;
  const loadCpuMs = cpu.duringLoad.userMs + cpu.duringLoad.systemMs;
  print('');
  if (!collectorJudged(results)) print(`(RSS and the V8 heap in use are judged over loads of ${COLLECTOR_JUDGED_FROM_S} s or more; this one judges the RSS outside the heap)`);
  print(`daemon RSS: ${mib(rss.startKiB)} MiB after setup, ${mib(rss.endKiB)} MiB at the end of the load (${signed(rssGrowthPercent(results))}%)`);
  if (rss.samples.length > 0) {
    const rssValues = rss.samples.map((sample) => sample.rssKiB);
    print(`  RSS during the load: min ${mib(Math.min(...rssValues))} MiB, max ${mib(Math.max(...rssValues))} MiB; fitted to its ${rss.samples.length} samples, ${trend(rssTrendPercent(results))} over the load`);
  }
  if (rss.heapSamples.length > 1) {
    const first = rss.heapSamples[0] as (typeof rss.heapSamples)[number];
    const last = rss.heapSamples[rss.heapSamples.length - 1] as (typeof rss.heapSamples)[number];
    print(
      `  V8 heap used (/metrics, every ${rss.heapSampleMs / 1000} s): ${mib(first.heapUsedKiB)} MiB at ${first.atS} s, ${mib(last.heapUsedKiB)} MiB at ${last.atS} s, ` +
        `lowest ${mib(Math.min(...rss.heapSamples.map((sample) => sample.heapUsedKiB)))} MiB; fitted to its ${rss.heapSamples.length} samples, ${trend(heapTrendPercent(results))} over the load ` +
        `(limit: under ${rss.heapLimitPercent}%); external ${mib(first.externalKiB)} -> ${mib(last.externalKiB)} MiB`,
    );
    const outside = rss.heapSamples.map((sample) => sample.rssKiB - sample.heapTotalKiB);
    const heldByV8 = rss.heapSamples.map((sample) => sample.heapTotalKiB);
    print(
      `  RSS outside V8's heap: ${mib(outside[0] as number)} MiB at ${first.atS} s, ${mib(outside[outside.length - 1] as number)} MiB at ${last.atS} s, ` +
        `min ${mib(Math.min(...outside))}, max ${mib(Math.max(...outside))} MiB; fitted, ${trend(outsideHeapTrendPercent(results))} over the load ` +
        `(V8 held ${mib(Math.min(...heldByV8))} to ${mib(Math.max(...heldByV8))} MiB for its heap)`,
    );
  }
  print(
    `daemon CPU during the load: ${(cpu.duringLoad.userMs / 1000).toFixed(1)} s user + ${(cpu.duringLoad.systemMs / 1000).toFixed(1)} s system ` +
      `= ${((loadCpuMs / 1000 / cpu.loadS) * 100).toFixed(0)}% of one core; its jobs ${(cpu.duringLoad.childrenMs / 1000).toFixed(1)} s; ` +
      `whole life ${((cpu.total.userMs + cpu.total.systemMs) / 1000).toFixed(1)} s`,
  );
  print(`soak clients' own CPU during the load: ${((cpu.runnerDuringLoadMs / 1000 / cpu.loadS) * 100).toFixed(0)}% of one core`);
  const stop = results.daemon.stop;
  if (stop) print(`daemon stop (SIGTERM): ${stop.killed ? 'KILLED after the timeout' : `exit ${stop.signal ?? stop.code}`} in ${Math.round(stop.stopMs)} ms`);
  print(`job processes left after the daemon: ${results.leftovers.length}`);
  for (const leftover of results.leftovers) print(`  killed pid ${leftover.pid} (${leftover.stat}) ${leftover.args}`);
  const daemonLog = results.daemonLog;
  print(`daemon log: ${daemonLog.errors} error(s), ${daemonLog.warnings} warning(s)`);
  for (const message of daemonLog.firstMessages) print(`  ${message}`);
  print(
    `machine: ${results.machine.atStart.cores} x ${results.machine.atStart.cpuModel}; load average ` +
      `${results.machine.atStart.loadAverage.join(' ')} at the start, ${results.machine.atEnd.loadAverage.join(' ')} at the end`,
  );
  print('');
  if (verdict.pass) print('PASS');
  else for (const reason of verdict.reasons) print(`FAIL: ${reason}`);
}

function trend(percent: number | null): string {
  return percent === null ? 'no trend (too few samples)' : `${signed(percent)}%`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

export function writeResults(dir: string, results: SoakResults, verdict: Verdict): string {
  const path = join(dir, 'latest.json');
  const lateness: Summary = summarize(results.latenessMs);
  const { latenessMs: _samples, ...rest } = results;
  const document = {
    verdict,
    ...rest,
    rss: { ...results.rss, growthPercent: rssGrowthPercent(results) },
    latenessMs: lateness,
    releases: {
      processes: results.releases.length,
      unaccounted: results.releases.filter((p) => p.difference !== 0),
      perProcess: results.releases,
    },
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}
