// 1. Reads: GET /processes/{id} and GET /processes with 100 and 1,000 processes defined, over HTTP
// and HTTPS, at 1, 16 and 64 connections, each against a bare node:http(s) server answering the
// same bytes with the same headers (the ceiling), interleaved.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '../lib/apiClient.js';
import { childScript, startChild } from '../lib/childScripts.js';
import { record } from '../lib/figures.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import type { Plan } from '../lib/plan.js';
import { BENCH_TOKEN, createProcesses, startSigma } from '../lib/sigmaDaemon.js';
import { interleave, median } from '../lib/stats.js';

const SECTION = 'reads';
/** Set by node:http itself on every answer; the rest is copied from the daemon's answer. */
const HEADERS_NODE_SETS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export async function benchReads(plan: Plan, log: (line: string) => void): Promise<void> {
  for (const tls of [false, true]) {
    const protocol = tls ? 'https' : 'http';
    const ceilingLabel = `bare node:${protocol}`;
    const daemon = await startSigma({ tls });
    try {
      let defined = 0;
      for (const count of plan.readCounts) {
        const createStartMs = performance.now();
        await createProcesses(daemon.api, count - defined, `read-${count}`, ['true']);
        log(`  ${protocol}: ${count - defined} processes created in ${((performance.now() - createStartMs) / 1000).toFixed(1)} s`);
        defined = count;
        const oneId = Math.ceil(count / 2);
        const routes = [
          { name: 'GET /processes/{id}', path: `/processes/${oneId}` },
          { name: 'GET /processes', path: '/processes' },
        ];
        const responsesPath = join(daemon.dataDir, `ceiling-${count}.json`);
        writeFileSync(responsesPath, JSON.stringify(await captureAnswers(daemon.api, routes.map((route) => route.path))));
        const ceiling = await startChild(
          process.execPath,
          [childScript('ceilingServer.mjs'), responsesPath, ...(tls ? [daemon.certPath as string, daemon.keyPath as string] : [])],
          `${protocol} ceiling server`,
        );
        const ceilingUrl = `${protocol}://127.0.0.1:${ceiling.firstLine.split(' ')[1]}`;
        try {
          for (const route of routes) {
            for (const connections of plan.readConnections) {
              // A list of 1,000 takes long enough that a short run could end before any answer.
              const durationS = route.path === '/processes' ? Math.max(plan.readDurationS, plan.quick ? 0.4 : 0.6) : plan.readDurationS;
              const sigmaLoad = (): Promise<LoadResult> =>
                runLoad({ url: daemon.url + route.path, connections, durationS, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
              const ceilingLoad = (): Promise<LoadResult> => runLoad({ url: ceilingUrl + route.path, connections, durationS });
              // Warm both up (JIT, TLS sessions) outside the measured rounds.
              await runLoad({ url: daemon.url + route.path, connections, durationS: plan.quick ? 0.05 : 0.3, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
              await runLoad({ url: ceilingUrl + route.path, connections, durationS: plan.quick ? 0.05 : 0.3 });
              const roundsStartMs = performance.now();
              const rounds = await interleave(plan.rounds, sigmaLoad, ceilingLoad);
              const failures = [...rounds.a, ...rounds.b].reduce((sum, r) => sum + r.errors + r.non2xx, 0);
              const label = `${route.name}, ${count} defined, ${protocol}, ${connections} conn`;
              const key = `reads.${protocol}.${route.path === '/processes' ? 'list' : 'one'}.${count}.c${connections}`;
              const isBarred = route.path !== '/processes' && connections === 16;
              // A list of 1,000 at 16 connections: >= 0.5 x the ceiling's requests/s (its own bar).
              const isListBarred = route.path === '/processes' && count === 1000 && connections === 16;
              const note = failures > 0 ? `${failures} failed or non-2xx answers` : undefined;
              const rps = record({
                key: `${key}.rps`,
                section: SECTION,
                label: `${label}: requests/s`,
                value: median(rounds.a.map((r) => r.requestsPerS)),
                unit: 'req/s',
                baselineLabel: ceilingLabel,
                baseline: median(rounds.b.map((r) => r.requestsPerS)),
                rounds: plan.rounds,
                ...(isBarred ? { bar: { kind: 'min', limit: 0.8, on: 'ratio' } as const } : {}),
                ...(isListBarred ? { bar: { kind: 'min', limit: 0.5, on: 'ratio' } as const } : {}),
                ...(note ? { note } : {}),
              });
              const p99 = record({
                key: `${key}.p99`,
                section: SECTION,
                label: `${label}: p99 latency`,
                value: median(rounds.a.map((r) => r.p99Ms)),
                unit: 'ms',
                baselineLabel: ceilingLabel,
                baseline: median(rounds.b.map((r) => r.p99Ms)),
                rounds: plan.rounds,
                ...(isBarred ? { bar: { kind: 'max', limit: 1.5, on: 'ratio' } as const } : {}),
              });
              record({
                key: `${key}.p50`,
                section: SECTION,
                label: `${label}: p50 latency`,
                value: median(rounds.a.map((r) => r.p50Ms)),
                unit: 'ms',
                baselineLabel: ceilingLabel,
                baseline: median(rounds.b.map((r) => r.p50Ms)),
                rounds: plan.rounds,
              });
              log(`  (${((performance.now() - roundsStartMs) / 1000).toFixed(1)} s) ${label}: ${rps.value?.toFixed(0)} vs ${rps.baseline?.toFixed(0)} req/s, p99 ${p99.value?.toFixed(2)} vs ${p99.baseline?.toFixed(2)} ms`);
            }
          }
        } finally {
          await ceiling.stop();
        }
      }
    } finally {
      await daemon.stop();
    }
  }
}

async function captureAnswers(api: ApiClient, paths: readonly string[]): Promise<Record<string, { headers: Record<string, string>; bodyBase64: string }>> {
  const answers: Record<string, { headers: Record<string, string>; bodyBase64: string }> = {};
  for (const path of paths) {
    const reply = await api.expect('GET', path, undefined, 200);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers)) {
      if (!HEADERS_NODE_SETS.has(name) && value !== undefined) headers[name] = String(value);
    }
    answers[path] = { headers, bodyBase64: reply.raw.toString('base64') };
  }
  return answers;
}
