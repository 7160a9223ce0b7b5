// `npm run soak [-- --duration SECONDS | --quick]`: the daemon under load on loopback. 100 PERIODIC
// processes run at 100 ms while 64 clients read and operate; then every release is accounted for,
// the daemon's memory compared, and nothing it started may be left. Prints the figures, writes
// soak/results/latest.json, and exits non-zero with the reasons when a check fails.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiClient } from './lib/apiClient.js';
import { DaemonUnderTest, type CpuTimes } from './lib/daemonUnderTest.js';
import { summarizeDaemonLog } from './lib/daemonLogSummary.js';
import { readDaemonMetrics } from './lib/daemonMetrics.js';
import { findMarkedProcesses, killByPid, type Leftover } from './lib/leftoverJobs.js';
import { connectClients, runLoad } from './lib/loadClients.js';
import { summarize } from './lib/latencySummary.js';
import { PoolSlots } from './lib/poolSlots.js';
import { accountReleases, type PeriodicRecord } from './lib/releaseAccounting.js';
import { RequestLedger } from './lib/requestLedger.js';
import { RunHistory } from './lib/runHistory.js';
import { createPeriodics, removePool, startPeriodics, stopPeriodics, sweepRuns } from './lib/soakSetup.js';
import { parseSoakOptions, UsageError, USAGE, type SoakOptions } from './lib/soakOptions.js';
import { machineInfo, printReport, verdictOf, writeResults, type MachineInfo, type SoakResults } from './lib/soakReport.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const DAEMON_LOG = `${RESULTS_DIR}daemon.log`;
/** The daemon gives each job 5 s of grace on SIGTERM; past this it is killed. */
const DAEMON_STOP_TIMEOUT_MS = 20_000;
const RSS_GROWTH_LIMIT_PERCENT = 10;
/**
 * The heap in use follows the collector's saw-tooth (a line fitted to 15 s of it moved by a quarter
 * on a loaded machine): only a steady climb past this fails.
 */
const HEAP_GROWTH_LIMIT_PERCENT = 50;
/** Connections for reading the last runs and deleting the pool once the load is over. */
const TEARDOWN_CONNECTIONS = 8;
/** Often enough that even the 10 s of --quick give a trend to judge. */
const HEAP_SAMPLE_MS = 1000;
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

const startMs = performance.now();
const log = (line: string): void => {
  process.stdout.write(`[${((performance.now() - startMs) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
};
/** The daemon's clock: epoch milliseconds advanced monotonically. */
const nowMs = (): number => performance.timeOrigin + performance.now();

interface Teardown {
  readonly stop: { code: number | null; signal: string | null; killed: boolean; stopMs: number } | null;
  readonly leftovers: Leftover[];
}

/** Ends everything the soak started, once, whoever asks first (the end of the run, a failure, Ctrl-C). */
class EndEverything {
  daemon: DaemonUnderTest | null = null;
  private ending: Promise<Teardown> | null = null;

  constructor(
    private readonly marker: { name: string; value: string },
    private readonly keepDataDir: boolean,
  ) {}

  run(): Promise<Teardown> {
    this.ending ??= (async () => {
      const daemon = this.daemon;
      const stop = daemon ? await daemon.stop(DAEMON_STOP_TIMEOUT_MS) : null;
      const leftovers = this.sweep();
      if (daemon && !this.keepDataDir) daemon.removeDataDir();
      return { stop, leftovers };
    })();
    return this.ending;
  }

  /** Kills at once what is left: the daemon, and every process carrying its jobs' marker. */
  now(): Leftover[] {
    this.daemon?.kill();
    return this.sweep();
  }

  private sweep(): Leftover[] {
    const leftovers = findMarkedProcesses(this.marker, this.daemon?.running ? [this.daemon.pid] : []);
    killByPid(leftovers);
    return leftovers;
  }
}

async function main(): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseSoakOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`soak: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const machineAtStart = machineInfo();
  const startedAt = new Date();
  log(
    `sigma soak: ${options.loadSeconds} s of load, ${options.clients} clients, ${options.periodicCount} PERIODIC at ${options.periodMs} ms; ` +
      `${machineAtStart.cores} cores, load average ${machineAtStart.loadAverage.join(' ')}`,
  );
  const marker = { name: 'SIGMA_SOAK_RUN', value: randomUUID() };
  const end = new EndEverything(marker, options.keepDataDir);
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) {
      const killed = end.now();
      log(`${signal} again: killed the daemon and ${killed.length} job process(es)`);
      process.exit(130);
    }
    stopRequested = true;
    log(`${signal}: stopping the daemon and its jobs (again to kill them at once)`);
    void end.run().then(
      ({ leftovers }) => {
        log(`stopped; ${leftovers.length} job process(es) were left and killed`);
        process.exit(130);
      },
      () => process.exit(130),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  try {
    return await soak(options, end, marker, { startedAt, machineAtStart }, () => stopRequested);
  } finally {
    await end.run();
  }
}

async function soak(
  options: SoakOptions,
  end: EndEverything,
  marker: { name: string; value: string },
  { startedAt, machineAtStart }: { startedAt: Date; machineAtStart: MachineInfo },
  interrupted: () => boolean,
): Promise<number> {
  const token = randomBytes(24).toString('base64url');
  const daemon = await DaemonUnderTest.start({
    tls: options.tls,
    token,
    logLevel: options.daemonLogLevel,
    logPath: DAEMON_LOG,
    cpuProfileDir: options.cpuProfileDir,
    jobMarker: marker,
  });
  end.daemon = daemon;
  if (!LOOPBACK_HOSTS.includes(new URL(daemon.url).hostname)) throw new Error(`the daemon serves ${daemon.url}, not on loopback`);
  log(`daemon pid ${daemon.pid} serving ${daemon.url} (data dir ${daemon.dataDir})`);
  const target = { url: daemon.url, token, ca: daemon.ca };
  const admin = new ApiClient(target);
  const check = (): void => {
    if (interrupted()) throw new Error('interrupted');
  };

  const setupStartMs = performance.now();
  const periodics = await createPeriodics(admin, options);
  check();
  const startWindows = await startPeriodics(admin, periodics, nowMs);
  check();
  const { clients, connectMs } = await connectClients(target, options.clients);
  check();
  const periodicIds = periodics.map((p) => p.id);
  const runHistory = new RunHistory();
  const pool = new PoolSlots(options.poolSlots);
  const loadOf = (ledger: RequestLedger, seconds: number): Promise<void> =>
    runLoad({
      clients,
      endAtMs: performance.now() + seconds * 1000,
      periodicIds,
      toggledIds: periodicIds.slice(0, options.toggledPeriodicCount),
      pool,
      ledger,
      runHistory,
      stopped: () => interrupted() || !daemon.running,
    });
  const warmup = new RequestLedger(performance.now());
  await loadOf(warmup, options.warmupSeconds);
  check();
  const setupS = (performance.now() - setupStartMs) / 1000;
  const rssStartKiB = daemon.rssKiB();
  const cpuStart = daemon.cpuTimes();
  const connect = summarize(connectMs);
  log(
    `setup: ${periodics.length} PERIODIC processes created and started, ${clients.length} clients connected ` +
      `(p50 ${Math.round(connect.p50)} ms, max ${Math.round(connect.max)} ms), ${warmup.totalRequests} warm-up requests ` +
      `(${options.warmupSeconds} s, ${warmup.errorCount} errors) in ${setupS.toFixed(1)} s; daemon RSS ${mib(rssStartKiB)}`,
  );

  const loadStartMs = performance.now();
  const runnerCpuStart = process.cpuUsage();
  const ledger = new RequestLedger(loadStartMs);
  const rssSamples: { atS: number; rssKiB: number }[] = [];
  const heapSamples: SoakResults['rss']['heapSamples'] = [];
  const atS = (): number => Math.round((performance.now() - loadStartMs) / 100) / 10;
  const sampler = setInterval(() => {
    if (!daemon.running) return;
    const rssKiB = daemon.rssKiB();
    rssSamples.push({ atS: atS(), rssKiB });
    if (rssSamples.length % 10 === 0) {
      log(`load: ${Math.round(ledger.totalRequests / atS())} req/s, ${ledger.errorCount} errors, daemon RSS ${mib(rssKiB)}`);
    }
  }, 1000);
  // The daemon's heap, from its /metrics, to tell a leak (a heap that keeps growing) from RSS that follows the GC.
  const heapSampler = setInterval(() => {
    void readDaemonMetrics(admin).then(
      (metrics) => {
        // Read as the heap's figures arrive, so that the two can be told apart; none once the daemon is gone.
        const rssKiB = metrics && daemon.running ? rssIfAlive(daemon) : null;
        if (!metrics || rssKiB === null) return;
        heapSamples.push({
          atS: atS(),
          heapUsedKiB: metrics.heapUsedKiB,
          heapTotalKiB: metrics.heapTotalKiB,
          rssKiB,
          externalKiB: metrics.externalKiB,
          eventLoopLagMaxMs: metrics.eventLoopLagMs.max,
        });
      },
      () => undefined,
    );
  }, HEAP_SAMPLE_MS);
  try {
    await loadOf(ledger, options.loadSeconds);
  } finally {
    clearInterval(sampler);
    clearInterval(heapSampler);
  }
  const loadS = (performance.now() - loadStartMs) / 1000;
  check();
  if (!daemon.running) throw new Error('the daemon exited during the load (see soak/results/daemon.log)');
  const rssEndKiB = daemon.rssKiB();
  const cpuEnd = daemon.cpuTimes();
  const runnerCpu = process.cpuUsage(runnerCpuStart);
  // Measured with the clients still connected, as at the start.
  for (const client of clients) client.close();
  log(`load: ${ledger.totalRequests} requests in ${loadS.toFixed(1)} s, ${ledger.errorCount} errors; daemon RSS ${mib(rssEndKiB)}`);

  const daemonMetrics = await readDaemonMetrics(admin);
  const teardownStartMs = performance.now();
  const stopWindows = await stopPeriodics(admin, periodicIds, nowMs);
  check();
  const sweepers = Array.from({ length: TEARDOWN_CONNECTIONS }, () => new ApiClient(target));
  const counters = await sweepRuns(sweepers, periodicIds, runHistory);
  const poolRemoved = await removePool(sweepers);
  for (const client of [admin, ...sweepers]) client.close();
  const records: PeriodicRecord[] = periodics.map((p) => ({
    id: p.id,
    name: p.name,
    periodMs: options.periodMs,
    start: startWindows.get(p.id) as PeriodicRecord['start'],
    stop: stopWindows.get(p.id) as PeriodicRecord['stop'],
    someReleaseAtMs: runHistory.earliestReleaseAtMs(p.id),
    spawnFailures: runHistory.spawnFailuresSeen(p.id),
    counters: counters.get(p.id) as PeriodicRecord['counters'],
  }));
  const accounting = records.map(accountReleases);
  const cpuTotal = daemon.cpuTimes();
  log(`teardown: every process stopped (${poolRemoved} pool processes deleted); stopping the daemon with SIGTERM`);
  const { stop, leftovers } = await end.run();
  const teardownS = (performance.now() - teardownStartMs) / 1000;
  log(`daemon ${stop?.killed ? 'did not stop in time: killed' : `exited ${stop?.signal ?? stop?.code}`} after ${Math.round(stop?.stopMs ?? 0)} ms`);

  const results: SoakResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    machine: { atStart: machineAtStart, atEnd: machineInfo() },
    daemon: { pid: daemon.pid, url: daemon.url, stop },
    phasesS: { setup: setupS, load: loadS, teardown: teardownS },
    connectMs: connect,
    requests: { ...ledger.figures(), perSecond: ledger.totalRequests / loadS, errorSamples: ledger.errorSamples, slowest: ledger.slowest },
    releases: accounting,
    latenessMs: runHistory.latenessSamplesMs(),
    rss: {
      startKiB: rssStartKiB,
      endKiB: rssEndKiB,
      limitPercent: RSS_GROWTH_LIMIT_PERCENT,
      samples: rssSamples,
      heapSamples,
      heapSampleMs: HEAP_SAMPLE_MS,
      heapLimitPercent: HEAP_GROWTH_LIMIT_PERCENT,
    },
    warmup: { seconds: options.warmupSeconds, requests: warmup.totalRequests, errors: warmup.errorCount, errorSamples: warmup.errorSamples },
    cpu: { duringLoad: cpuDelta(cpuStart, cpuEnd), total: cpuTotal, loadS, runnerDuringLoadMs: (runnerCpu.user + runnerCpu.system) / 1000 },
    daemonMetrics,
    leftovers,
    daemonLog: summarizeDaemonLog(DAEMON_LOG),
  };
  const verdict = verdictOf(results);
  printReport(results, verdict, (line) => process.stdout.write(`${line}\n`));
  const path = writeResults(RESULTS_DIR, results, verdict);
  log(`results written to ${path}`);
  return verdict.pass ? 0 : 1;
}

/** The daemon's RSS, or null once /proc no longer has it (it may exit between two reads). */
function rssIfAlive(daemon: DaemonUnderTest): number | null {
  try {
    return daemon.rssKiB();
  } catch {
    return null;
  }
}

function cpuDelta(from: CpuTimes, to: CpuTimes): CpuTimes {
  return { userMs: to.userMs - from.userMs, systemMs: to.systemMs - from.systemMs, childrenMs: to.childrenMs - from.childrenMs };
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
