// 5. Scale and memory: the daemon's RSS and idle CPU with 0, 1,000 and 10,000 processes defined
// (created through the API, timed) and with 0, 100 and 1,000 live `sleep` jobs (there with its
// launcher's RSS too); GET /processes latency at the largest count; the cost per process and per
// job from the differences.
import { forEachConcurrently } from '../lib/apiClient.js';
import { record } from '../lib/figures.js';
import { runLoad } from '../lib/load.js';
import type { Plan } from '../lib/plan.js';
import { idleCpuShare, rssBytes } from '../lib/procfs.js';
import { BENCH_TOKEN, startSigma, type SigmaDaemon } from '../lib/sigmaDaemon.js';

const SECTION = 'scale';
const MB = 1024 * 1024;
const CLIENTS = 8;

export async function benchScale(plan: Plan, log: (line: string) => void): Promise<void> {
  await definedProcesses(plan, log);
  await liveJobs(plan, log);
}

async function settle(daemon: SigmaDaemon): Promise<void> {
  // Let the garbage collector and the store settle after the burst of requests.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await daemon.api.expect('GET', '/health', undefined, 200);
}

async function definedProcesses(plan: Plan, log: (line: string) => void): Promise<void> {
  const daemon = await startSigma({ tls: false, maxSockets: CLIENTS });
  try {
    let defined = 0;
    const rss = new Map<number, number>();
    for (const count of plan.definedCounts) {
      const adding = count - defined;
      if (adding > 0) {
        const startMs = performance.now();
        await forEachConcurrently(adding, CLIENTS, async (index) => {
          await daemon.api.expect('POST', '/processes', { name: `defined-${defined + index}`, command: ['true'] }, 201);
        });
        const seconds = (performance.now() - startMs) / 1000;
        record({ key: `scale.create.${count}`, section: SECTION, label: `POST /processes ${defined} -> ${count} defined, ${CLIENTS} clients: time`, value: seconds, unit: 's' });
        record({ key: `scale.create.${count}.rate`, section: SECTION, label: `POST /processes ${defined} -> ${count} defined: creations/s`, value: adding / seconds, unit: 'req/s' });
        log(`  ${adding} processes created in ${seconds.toFixed(1)} s`);
        defined = count;
      }
      await settle(daemon);
      const bytes = rssBytes(daemon.pid) ?? Number.NaN;
      rss.set(count, bytes);
      const cpu = await idleCpuShare(daemon.pid, plan.idleWindowMs);
      record({ key: `scale.defined.${count}.rss`, section: SECTION, label: `daemon RSS, ${count} processes defined`, value: bytes / MB, unit: 'MB' });
      record({ key: `scale.defined.${count}.idleCpu`, section: SECTION, label: `daemon idle CPU, ${count} processes defined`, value: cpu * 100, unit: '% of a core' });
      log(`  ${count} defined: RSS ${(bytes / MB).toFixed(1)} MB, idle CPU ${(cpu * 100).toFixed(2)} %`);
    }
    const largest = plan.definedCounts[plan.definedCounts.length - 1] as number;
    const smallest = plan.definedCounts[0] as number;
    record({
      key: 'scale.defined.perProcess',
      section: SECTION,
      label: `RSS per defined process (${smallest} -> ${largest})`,
      value: (((rss.get(largest) ?? Number.NaN) - (rss.get(smallest) ?? Number.NaN)) / (largest - smallest)) / 1024,
      unit: 'KB',
    });
    await runLoad({ url: `${daemon.url}/processes`, connections: 1, durationS: 0.5, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
    const load = await runLoad({ url: `${daemon.url}/processes`, connections: 1, durationS: plan.quick ? 2 : 5, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
    record({
      key: `scale.list.${largest}.p50`,
      section: SECTION,
      label: `GET /processes with ${largest} defined: latency p50 (1 conn)`,
      value: load.p50Ms,
      unit: 'ms',
      ...(largest === 10_000 ? { bar: { kind: 'max', limit: 15, on: 'value' } as const } : {}),
    });
    record({ key: `scale.list.${largest}.p99`, section: SECTION, label: `GET /processes with ${largest} defined: latency p99 (1 conn)`, value: load.p99Ms, unit: 'ms' });
    log(`  GET /processes at ${largest}: p50 ${load.p50Ms.toFixed(1)} ms, p99 ${load.p99Ms.toFixed(1)} ms`);
  } finally {
    await daemon.stop();
  }
}

async function liveJobs(plan: Plan, log: (line: string) => void): Promise<void> {
  const daemon = await startSigma({ tls: false, maxSockets: CLIENTS });
  try {
    log(`  jobs run ${daemon.launcher === 'native' ? `under the native launcher (pid ${daemon.launcherPid})` : 'in the daemon\'s process (--launcher in-process)'}`);
    let live = 0;
    const rss = new Map<number, number>();
    for (const count of plan.liveCounts) {
      const adding = count - live;
      await forEachConcurrently(adding, CLIENTS, async (index) => {
        await daemon.api.expect('POST', '/processes', { name: `live-${live + index}`, command: ['sleep', '3600'], state: 'RUNNING' }, 201);
      });
      live = count;
      await settle(daemon);
      const bytes = rssBytes(daemon.pid) ?? Number.NaN;
      const launcherBytes = daemon.launcherPid !== null ? (rssBytes(daemon.launcherPid) ?? Number.NaN) : 0;
      rss.set(count, bytes);
      const cpu = await idleCpuShare(daemon.pid, plan.idleWindowMs);
      const barred = count === 1000;
      record({
        key: `scale.live.${count}.rss`,
        section: SECTION,
        label: `daemon RSS, ${count} live sleep jobs`,
        value: bytes / MB,
        unit: 'MB',
        ...(barred ? { bar: { kind: 'max', limit: 150, on: 'value' } as const } : {}),
      });
      record({
        key: `scale.live.${count}.rssWithLauncher`,
        section: SECTION,
        label: `daemon + launcher RSS, ${count} live sleep jobs`,
        value: (bytes + launcherBytes) / MB,
        unit: 'MB',
        ...(daemon.launcherPid === null ? { note: 'in-process: no launcher' } : {}),
      });
      record({
        key: `scale.live.${count}.idleCpu`,
        section: SECTION,
        label: `daemon idle CPU, ${count} live sleep jobs`,
        value: cpu * 100,
        unit: '% of a core',
        ...(barred ? { bar: { kind: 'max', limit: 1, on: 'value' } as const } : {}),
      });
      log(`  ${count} live: RSS ${(bytes / MB).toFixed(1)} MB (+ launcher ${(launcherBytes / MB).toFixed(1)} MB), idle CPU ${(cpu * 100).toFixed(2)} %`);
    }
    const largest = plan.liveCounts[plan.liveCounts.length - 1] as number;
    const smallest = plan.liveCounts[0] as number;
    record({
      key: 'scale.live.perJob',
      section: SECTION,
      label: `RSS per live job (${smallest} -> ${largest})`,
      value: (((rss.get(largest) ?? Number.NaN) - (rss.get(smallest) ?? Number.NaN)) / (largest - smallest)) / 1024,
      unit: 'KB',
    });
    const stopStartMs = performance.now();
    await daemon.stop();
    record({ key: 'scale.live.shutdown', section: SECTION, label: `daemon shutdown with ${largest} live jobs (each ended, recorded; the launcher exited)`, value: (performance.now() - stopStartMs) / 1000, unit: 's' });
  } finally {
    await daemon.stop();
  }
}
