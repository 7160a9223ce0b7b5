// `npm run bench [-- --quick] [-- --only reads,operations]`: sigma against the machine's limits and
// against supervisord and PM2, each comparison interleaved in the same run. Prints a table and
// writes bench/results/latest.json (latest-quick.json for --quick).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beginStopping, endAll, killAllNow, trackedLabels } from './lib/cleanup.js';
import { allFigures, missingFigures } from './lib/figures.js';
import { removeTempDirs, snapshotBuild } from './lib/sigmaDaemon.js';
import { planFor, type Plan } from './lib/plan.js';
import { machineInfo, renderMarkdown, renderTable, writeResults } from './lib/report.js';
import { benchFleet } from './sections/fleet.js';
import { benchOperations } from './sections/operations.js';
import { benchPeers } from './sections/peers.js';
import { benchReads } from './sections/reads.js';
import { benchRelease } from './sections/release.js';
import { benchRestart } from './sections/restart.js';
import { benchScale } from './sections/scale.js';

type Section = (plan: Plan, log: (line: string) => void) => Promise<void>;

const SECTIONS: Record<string, Section> = {
  reads: benchReads,
  operations: benchOperations,
  release: benchRelease,
  restart: benchRestart,
  scale: benchScale,
  peers: benchPeers,
  fleet: benchFleet,
};

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? (args[onlyIndex + 1] ?? '').split(',') : Object.keys(SECTIONS);
  const unknown = only.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}\n`);
    return 2;
  }
  const plan = planFor(quick);
  const machine = machineInfo();
  const startedAt = new Date();
  const startMs = performance.now();
  const log = (line: string): void => {
    process.stdout.write(`[${((performance.now() - startMs) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  log(`sigma bench (${quick ? 'quick' : 'full'}) on ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  // --build DIR: a directory holding another build (dist/ and package.json) of sigma to measure.
  const buildIndex = args.indexOf('--build');
  const buildRoot = snapshotBuild(buildIndex >= 0 ? args[buildIndex + 1] : undefined);
  log(`daemon build copied to ${buildRoot}`);
  const failures: string[] = [];
  const sectionSeconds: Record<string, number> = {};
  for (const name of only) {
    if (interrupted) break;
    const section = SECTIONS[name] as Section;
    const sectionStartMs = performance.now();
    log(`${name}...`);
    try {
      await section(plan, log);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      log(`${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await endAll();
    }
    sectionSeconds[name] = Math.round((performance.now() - sectionStartMs) / 100) / 10;
  }
  const wallClockS = Math.round((performance.now() - startMs) / 100) / 10;
  const figures = allFigures();
  process.stdout.write(`\n${renderTable(figures)}\n`);
  // A partial run (--only) never replaces the record of a whole one.
  const resultsName = `${onlyIndex >= 0 ? 'partial' : 'latest'}${quick ? '-quick' : ''}`;
  const resultsPath = fileURLToPath(new URL(`results/${resultsName}.json`, import.meta.url));
  writeResults(resultsPath, {
    machine,
    node: process.version,
    date: startedAt.toISOString(),
    mode: quick ? 'quick' : 'full',
    sections: only,
    wallClockS,
    sectionSeconds,
    failures,
    figures,
  });
  writeFileSync(resultsPath.replace(/\.json$/, '.md'), `${renderMarkdown(figures)}\n`);
  const missing = missingFigures();
  const missedBars = figures.filter((figure) => figure.met === false);
  log(`done in ${wallClockS} s; results in ${resultsPath}`);
  log(`bars: ${figures.filter((f) => f.met === true).length} met, ${missedBars.length} missed${missedBars.length ? `: ${missedBars.map((f) => f.label).join('; ')}` : ''}`);
  for (const figure of missing) log(`MISSING figure: ${figure.label}`);
  for (const failure of failures) log(`FAILED section ${failure}`);
  // Missed bars are reported, never a failure: the exit code tells whether every figure was produced.
  return failures.length > 0 || missing.length > 0 ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      killAllNow();
      process.exit(130);
    }
    interrupted = true;
    beginStopping();
    process.stderr.write(`\nbench: ${signal}: ending ${trackedLabels().join(', ') || 'nothing'}\n`);
    void endAll().finally(() => {
      if (!keepTempDirs) removeTempDirs();
      process.exit(130);
    });
  });
}
process.on('exit', () => killAllNow());

// --keep: leave the temp dirs (daemon logs, data dirs, configs) for a look after the run.
const keepTempDirs = process.argv.includes('--keep');
main().then(
  async (code) => {
    await endAll();
    if (!keepTempDirs) removeTempDirs();
    process.exit(code);
  },
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await endAll();
    if (!keepTempDirs) removeTempDirs();
    process.exit(1);
  },
);
