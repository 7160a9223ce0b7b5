// 4. Restarts under load: a daemon (native launcher) holding 1,000 live `sleep` jobs and 20
// PERIODIC `true` at 100 ms is killed (SIGKILL) and started again on the same data dir, or replaced
// by `sigma serve --replace`, kinds alternated round by round. For each: how long until the new
// daemon shows every job RUNNING with the pid it had, how many jobs ended, how many releases were
// missed meanwhile; and the memory of the daemon and its launcher with the 1,000 jobs.
import { record } from '../lib/figures.js';
import type { Plan } from '../lib/plan.js';
import { isAlive, rssBytes, startTimeOf } from '../lib/procfs.js';
import { createProcesses, freePort, requireNativeLauncher, startSigma, tempDir, type SigmaDaemon } from '../lib/sigmaDaemon.js';
import { max, median } from '../lib/stats.js';

const SECTION = 'restart';
const CLIENTS = 8;
const MB = 1024 * 1024;
const PERIODIC = 20;
const PERIOD_MS = 100;
/** The daemon's RSS alone with 1,000 live jobs in the last full run before the launcher (bench/README.md). */
const RSS_BAR_MB = 124;
/** How long a restart may take before the bench gives up on it (the figure is then the time waited). */
const ADOPTION_DEADLINE_MS = 60_000;

interface ProcessView {
  readonly id: number;
  readonly state: string;
  readonly pid: number | null;
  readonly runs: number;
  readonly skipped: number;
  readonly overruns: number;
  readonly nextReleaseAt: string | null;
}

type Kind = 'kill' | 'replace';

interface RestartResult {
  /** From the kill (or the start of the replacing daemon) until every live job shows RUNNING with its pid. */
  readonly adoptedS: number;
  /** Whether every job was seen adopted (false: the deadline passed). */
  readonly adopted: boolean;
  /** Live jobs whose process is gone (or is another process) after the restart. */
  readonly jobsEnded: number;
  /** The PERIODIC processes' skipped counters, increase over the window. */
  readonly missed: number;
  readonly runs: number;
  readonly overruns: number;
  /** Grid points the PERIODIC processes passed over the window (from their nextReleaseAt). */
  readonly gridPoints: number;
  /** "id: n" for each PERIODIC process that skipped releases, for the log. */
  readonly skippedBy: readonly string[];
  readonly windowS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchRestart(plan: Plan, log: (line: string) => void): Promise<void> {
  const dataDir = tempDir('restart');
  const port = await freePort();
  const daemons: SigmaDaemon[] = [];
  let daemon = await startSigma({ tls: false, dataDir, port, maxSockets: CLIENTS });
  daemons.push(daemon);
  try {
    requireNativeLauncher(daemon);
    const startMs = performance.now();
    const liveIds = await createProcesses(daemon.api, plan.restartJobs, 'live', ['sleep', '3600'], CLIENTS, { state: 'RUNNING' });
    log(`  ${plan.restartJobs} live jobs created and started in ${((performance.now() - startMs) / 1000).toFixed(1)} s`);
    const periodicIds: number[] = [];
    for (let index = 0; index < PERIODIC; index += 1) {
      const reply = await daemon.api.expect('POST', '/processes', { name: `periodic-${index}`, type: 'PERIODIC', period: PERIOD_MS, command: ['true'] }, 201);
      periodicIds.push(reply.body.processes[0].id as number);
    }
    // Their grids spread over one period, as in the release section.
    const firstMs = performance.now();
    for (const [index, id] of periodicIds.entries()) {
      const waitMs = firstMs + (PERIOD_MS * index) / PERIODIC - performance.now();
      if (waitMs > 0) await sleep(waitMs);
      await daemon.api.expect('PUT', `/processes/${id}`, { operation: 'START' }, 200);
    }
    await sleep(1000);
    const views = await list(daemon);
    const pids = new Map<number, { pid: number; startTime: string | null }>();
    for (const id of liveIds) {
      const view = views.get(id);
      if (!view || view.state !== 'RUNNING' || view.pid === null) throw new Error(`live job ${id} is ${view?.state ?? 'missing'} before the restarts`);
      pids.set(id, { pid: view.pid, startTime: startTimeOf(view.pid) });
    }
    recordMemory(plan, daemon, log);

    const results = new Map<Kind, RestartResult[]>([
      ['kill', []],
      ['replace', []],
    ]);
    for (let round = 0; round < plan.restartRounds; round += 1) {
      // Alternated (kill, replace; replace, kill; ...), so that drift of the machine hits both alike.
      for (const kind of round % 2 === 0 ? (['kill', 'replace'] as const) : (['replace', 'kill'] as const)) {
        await sleep(plan.restartSteadyMs);
        const before = await list(daemon);
        const beforeMs = performance.now();
        const t0 = performance.now();
        let next: SigmaDaemon;
        if (kind === 'kill') {
          await daemon.kill();
          next = await startSigma({ tls: false, dataDir, port, maxSockets: CLIENTS });
        } else {
          const previous = daemon;
          next = await startSigma({ tls: false, dataDir, port, maxSockets: CLIENTS, replace: true });
          const code = await Promise.race([previous.exited, sleep(10_000).then(() => 'still running')]);
          if (code !== 0) log(`  the replaced daemon (pid ${previous.pid}) ended with ${String(code)}, not 0`);
          await previous.stop();
        }
        daemons.push(next);
        daemon = next;
        requireNativeLauncher(daemon);
        const adoption = await waitAdopted(daemon, pids, t0);
        // The journal of what the launcher did meanwhile is applied at the adoption; a period more
        // lets the releases under way be told.
        await sleep(PERIOD_MS * 2);
        const after = await list(daemon);
        const windowS = (performance.now() - beforeMs) / 1000;
        let jobsEnded = 0;
        for (const { pid, startTime } of pids.values()) if (!isAlive(pid) || startTimeOf(pid) !== startTime) jobsEnded += 1;
        const result = { ...adoption, jobsEnded, windowS, ...releasesBetween(before, after, periodicIds) };
        results.get(kind)?.push(result);
        log(
          `  ${kind === 'kill' ? 'SIGKILL + start' : '--replace'}, round ${round + 1}: ${result.adopted ? 'adopted' : 'NOT all adopted'} in ${result.adoptedS.toFixed(2)} s, ${jobsEnded} jobs ended, releases: ${result.runs} made, ${result.missed} missed, ${result.overruns} overruns of ${result.gridPoints} grid points over ${windowS.toFixed(1)} s${result.skippedBy.length > 0 ? ` (skipped by process ${result.skippedBy.join(', ')})` : ''}`,
        );
      }
    }
    recordRestarts(plan, results);
  } finally {
    // The daemon holding the launcher last: each stop ends the launcher only once no daemon holds it.
    for (const each of daemons.reverse()) await each.stop();
  }
}

async function list(daemon: SigmaDaemon): Promise<Map<number, ProcessView>> {
  const reply = await daemon.api.expect('GET', '/processes', undefined, 200);
  return new Map((reply.body.processes as ProcessView[]).map((view) => [view.id, view]));
}

/** Polls GET /processes until every live job shows RUNNING with the pid it had before. */
async function waitAdopted(daemon: SigmaDaemon, pids: Map<number, { pid: number }>, t0: number): Promise<{ adoptedS: number; adopted: boolean }> {
  for (;;) {
    const views = await list(daemon);
    let all = true;
    for (const [id, { pid }] of pids) {
      const view = views.get(id);
      if (!view || view.state !== 'RUNNING' || view.pid !== pid) {
        all = false;
        break;
      }
    }
    const elapsedMs = performance.now() - t0;
    if (all) return { adoptedS: elapsedMs / 1000, adopted: true };
    if (elapsedMs > ADOPTION_DEADLINE_MS) return { adoptedS: elapsedMs / 1000, adopted: false };
    await sleep(10);
  }
}

/** What the PERIODIC processes' counters say happened between two listings. */
function releasesBetween(before: Map<number, ProcessView>, after: Map<number, ProcessView>, ids: readonly number[]) {
  let runs = 0;
  let missed = 0;
  let overruns = 0;
  let gridPoints = 0;
  const skippedBy: string[] = [];
  for (const id of ids) {
    const a = before.get(id);
    const b = after.get(id);
    if (!a || !b) throw new Error(`PERIODIC process ${id} is missing from a listing`);
    runs += b.runs - a.runs;
    missed += b.skipped - a.skipped;
    overruns += b.overruns - a.overruns;
    if (b.skipped > a.skipped) skippedBy.push(`${id}: ${b.skipped - a.skipped}`);
    // Each point of the grid passed is a release made, an overrun or a skipped one.
    if (a.nextReleaseAt && b.nextReleaseAt) gridPoints += Math.round((Date.parse(b.nextReleaseAt) - Date.parse(a.nextReleaseAt)) / PERIOD_MS);
  }
  return { runs, missed, overruns, gridPoints, skippedBy };
}

function recordMemory(plan: Plan, daemon: SigmaDaemon, log: (line: string) => void): void {
  const daemonBytes = rssBytes(daemon.pid) ?? Number.NaN;
  const launcherBytes = daemon.launcherPid !== null ? (rssBytes(daemon.launcherPid) ?? Number.NaN) : Number.NaN;
  const barred = plan.restartJobs === 1000;
  record({
    key: 'restart.rss.daemonAndLauncher',
    section: SECTION,
    label: `daemon + launcher RSS, ${plan.restartJobs} live jobs and ${PERIODIC} PERIODIC at ${PERIOD_MS} ms`,
    value: (daemonBytes + launcherBytes) / MB,
    unit: 'MB',
    ...(barred ? { bar: { kind: 'max', limit: RSS_BAR_MB, on: 'value' } as const } : {}),
  });
  record({ key: 'restart.rss.daemon', section: SECTION, label: `daemon RSS alone, ${plan.restartJobs} live jobs`, value: daemonBytes / MB, unit: 'MB' });
  record({ key: 'restart.rss.launcher', section: SECTION, label: `launcher RSS alone, ${plan.restartJobs} live jobs`, value: launcherBytes / MB, unit: 'MB' });
  log(`  RSS with ${plan.restartJobs} live jobs: daemon ${(daemonBytes / MB).toFixed(1)} MB + launcher ${(launcherBytes / MB).toFixed(1)} MB`);
}

function recordRestarts(plan: Plan, results: Map<Kind, RestartResult[]>): void {
  for (const kind of ['kill', 'replace'] as const) {
    const rounds = results.get(kind) ?? [];
    const what = kind === 'kill' ? 'daemon SIGKILLed, started again' : 'sigma serve --replace';
    const from = kind === 'kill' ? 'from the kill' : 'from starting the new daemon';
    const common = { section: SECTION, rounds: rounds.length };
    const notAdopted = rounds.filter((r) => !r.adopted).length;
    record({
      ...common,
      key: `restart.${kind}.adoptedS`,
      label: `${what}: every one of ${plan.restartJobs} jobs RUNNING with its pid, ${from} (median)`,
      value: median(rounds.map((r) => r.adoptedS)),
      unit: 's',
      bar: { kind: 'max', limit: 2, on: 'value' },
      ...(notAdopted > 0 ? { note: `${notAdopted} of ${rounds.length} restarts never showed every job adopted within ${ADOPTION_DEADLINE_MS / 1000} s` } : {}),
    });
    record({ ...common, key: `restart.${kind}.adoptedS.max`, label: `${what}: adopted within, slowest round`, value: max(rounds.map((r) => r.adoptedS)), unit: 's' });
    record({
      ...common,
      key: `restart.${kind}.jobsEnded`,
      label: `${what}: of the ${plan.restartJobs} live jobs, ended (all rounds)`,
      value: rounds.reduce((sum, r) => sum + r.jobsEnded, 0),
      unit: 'jobs',
      bar: { kind: 'max', limit: 0, on: 'value' },
    });
    record({
      ...common,
      key: `restart.${kind}.missed`,
      label: `${what}: releases missed by ${PERIODIC} PERIODIC at ${PERIOD_MS} ms across the restart (all rounds)`,
      value: rounds.reduce((sum, r) => sum + r.missed, 0),
      unit: 'releases',
      bar: { kind: 'max', limit: 0, on: 'value' },
    });
    record({
      ...common,
      key: `restart.${kind}.runs`,
      label: `${what}: releases made across the restart, of the grid points passed (all rounds, ${rounds.reduce((sum, r) => sum + r.windowS, 0).toFixed(1)} s)`,
      value: rounds.reduce((sum, r) => sum + r.runs, 0),
      unit: 'releases',
      baselineLabel: 'grid points passed',
      baseline: rounds.reduce((sum, r) => sum + r.gridPoints, 0),
    });
    record({ ...common, key: `restart.${kind}.overruns`, label: `${what}: overruns across the restart (all rounds)`, value: rounds.reduce((sum, r) => sum + r.overruns, 0), unit: 'releases' });
  }
}

