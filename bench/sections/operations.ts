// 2. Operations: START then STOP of a ONE_SHOT `sleep` against a raw spawn and kill of the same
// command, sample by sample; and create + START of many `true` jobs with 8 clients against a plain
// Node loop spawning the same command with the same concurrency, round by round.
import { spawn } from 'node:child_process';
import { forEachConcurrently, type ApiClient } from '../lib/apiClient.js';
import { record } from '../lib/figures.js';
import type { Plan } from '../lib/plan.js';
import { startSigma } from '../lib/sigmaDaemon.js';
import { interleave, median, percentile } from '../lib/stats.js';

const SECTION = 'operations';
const CLIENTS = 8;

export async function benchOperations(plan: Plan, log: (line: string) => void): Promise<void> {
  const daemon = await startSigma({ tls: false, maxSockets: CLIENTS });
  try {
    await startStop(plan, daemon.api, log);
    await shortJobs(plan, daemon.api, log);
  } finally {
    await daemon.stop();
  }
}

async function startStop(plan: Plan, api: ApiClient, log: (line: string) => void): Promise<void> {
  const created = await api.expect('POST', '/processes', { name: 'op-sleep', command: ['sleep', '1000'] }, 201);
  const path = `/processes/${created.body.processes[0].id}`;
  const sigma = { start: [] as number[], stop: [] as number[] };
  const raw = { start: [] as number[], stop: [] as number[] };
  const sigmaSample = async (): Promise<void> => {
    const t0 = performance.now();
    await api.expect('PUT', path, { operation: 'START' }, 200);
    const t1 = performance.now();
    await api.expect('PUT', path, { operation: 'STOP' }, 200);
    sigma.start.push(t1 - t0);
    sigma.stop.push(performance.now() - t1);
  };
  const rawSample = async (): Promise<void> => {
    const t0 = performance.now();
    const child = spawn('sleep', ['1000'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const t1 = performance.now();
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    process.kill(-(child.pid as number), 'SIGTERM');
    await closed;
    raw.start.push(t1 - t0);
    raw.stop.push(performance.now() - t1);
  };
  // Warm-up, not counted.
  await sigmaSample();
  await rawSample();
  sigma.start.length = sigma.stop.length = raw.start.length = raw.stop.length = 0;
  await interleave(plan.operationSamples, sigmaSample, rawSample);
  const samples = plan.operationSamples;
  const figure = (key: string, label: string, ours: number[], theirs: number[], p: number, bar?: boolean) =>
    record({
      key,
      section: SECTION,
      label,
      value: percentile(ours, p),
      unit: 'ms',
      baselineLabel: key.includes('start') ? 'raw spawn' : 'raw kill + wait',
      baseline: percentile(theirs, p),
      rounds: samples,
      ...(bar ? { bar: { kind: 'max', limit: 1.5, on: 'ratio' } as const } : {}),
    });
  figure('operations.start.p50', `START of a ONE_SHOT sleep: answer latency p50 (${samples} samples)`, sigma.start, raw.start, 50, true);
  figure('operations.start.p99', 'START of a ONE_SHOT sleep: answer latency p99', sigma.start, raw.start, 99);
  figure('operations.stop.p50', 'STOP of that job: answer latency p50', sigma.stop, raw.stop, 50);
  figure('operations.stop.p99', 'STOP of that job: answer latency p99', sigma.stop, raw.stop, 99);
  log(`  START p50 ${percentile(sigma.start, 50).toFixed(2)} ms vs spawn ${percentile(raw.start, 50).toFixed(2)} ms; STOP p50 ${percentile(sigma.stop, 50).toFixed(2)} ms vs kill ${percentile(raw.stop, 50).toFixed(2)} ms`);
}

async function shortJobs(plan: Plan, api: ApiClient, log: (line: string) => void): Promise<void> {
  let round = 0;
  const sigmaRound = async (): Promise<{ answeredPerS: number; jobsPerS: number }> => {
    round += 1;
    const prefix = `short-${round}`;
    const startMs = performance.now();
    await forEachConcurrently(plan.shortJobs, CLIENTS, async (index) => {
      await api.expect('POST', '/processes', { name: `${prefix}-${index}`, command: ['true'], state: 'RUNNING' }, 201);
    });
    const answeredMs = performance.now() - startMs;
    // Done when no job of the round is live any more (each ONE_SHOT is DORMANT again, with one run).
    for (;;) {
      const reply = await api.expect('GET', '/processes?state=RUNNING', undefined, 200);
      const live = (reply.body.processes as Array<{ name: string }>).filter((p) => p.name.startsWith(`${prefix}-`)).length;
      if (live === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const doneMs = performance.now() - startMs;
    return { answeredPerS: (plan.shortJobs * 1000) / answeredMs, jobsPerS: (plan.shortJobs * 1000) / doneMs };
  };
  const rawRound = async (): Promise<number> => {
    const startMs = performance.now();
    await forEachConcurrently(plan.shortJobs, CLIENTS, async () => {
      const child = spawn('true', [], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise<void>((resolve) => child.once('close', () => resolve()));
    });
    return (plan.shortJobs * 1000) / (performance.now() - startMs);
  };
  // Three rounds take under a minute on a quiet machine; a busy one gets fewer rather than a longer run.
  const rounds = await interleave(plan.shortJobRounds, sigmaRound, rawRound, plan.quick ? 10_000 : 45_000);
  const jobsPerS = median(rounds.a.map((r) => r.jobsPerS));
  record({
    key: 'operations.shortJobs.jobsPerS',
    section: SECTION,
    label: `create + START of ${plan.shortJobs} \`true\` jobs, ${CLIENTS} clients: jobs/s (all ended)`,
    value: jobsPerS,
    unit: 'jobs/s',
    baselineLabel: `raw spawn loop, ${CLIENTS} in flight`,
    baseline: median(rounds.b),
    rounds: rounds.a.length,
    bar: { kind: 'min', limit: 0.6, on: 'ratio' },
  });
  record({
    key: 'operations.shortJobs.answeredPerS',
    section: SECTION,
    label: `create + START of ${plan.shortJobs} \`true\` jobs: answers/s (201 received)`,
    value: median(rounds.a.map((r) => r.answeredPerS)),
    unit: 'req/s',
    rounds: rounds.a.length,
  });
  log(`  short jobs: ${jobsPerS.toFixed(0)} jobs/s vs raw ${median(rounds.b).toFixed(0)} jobs/s`);
}
