// `npx tsx bench/profile.ts <reads|list|start|create|periodic> [--tls] [--launcher native|in-process] [--build DIR]`: runs the daemon under `node --cpu-prof`
// through one workload and prints the functions with the most self time (the profile is kept for a
// flame graph viewer, e.g. Chrome DevTools or speedscope).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachConcurrently } from './lib/apiClient.js';
import { endAll } from './lib/cleanup.js';
import { runLoad } from './lib/load.js';
import { nativePrograms } from './lib/native.js';
import { BENCH_TOKEN, createProcesses, snapshotBuild, startSigma, tempDir } from './lib/sigmaDaemon.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const WORKLOADS: Record<string, (url: string, api: Awaited<ReturnType<typeof startSigma>>['api']) => Promise<void>> = {
  reads: async (url, api) => {
    await createProcesses(api, 100, 'p', ['true']);
    await runLoad({ url: `${url}/processes/50`, connections: 16, durationS: 5, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
  },
  list: async (url, api) => {
    await createProcesses(api, 1000, 'p', ['true']);
    await runLoad({ url: `${url}/processes`, connections: 16, durationS: 5, headers: { authorization: `Bearer ${BENCH_TOKEN}` } });
  },
  start: async (_url, api) => {
    const [id] = await createProcesses(api, 1, 'op', ['sleep', '1000']);
    for (let i = 0; i < 200; i += 1) {
      await api.expect('PUT', `/processes/${id}`, { operation: 'START' }, 200);
      await api.expect('PUT', `/processes/${id}`, { operation: 'STOP' }, 200);
    }
  },
  periodic: async (_url, api) => {
    const ids: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const reply = await api.expect('POST', '/processes', { name: `p-${index}`, type: 'PERIODIC', period: Number(process.env.PROFILE_PERIOD ?? 100), command: nativePrograms().stamp, state: 'RUNNING' }, 201);
      ids.push(reply.body.processes[0].id as number);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    for (const id of ids) await api.expect('PUT', `/processes/${id}`, { operation: 'STOP' }, 200);
  },
  create: async (_url, api) => {
    await forEachConcurrently(1000, 8, async (index) => {
      await api.expect('POST', '/processes', { name: `short-${index}`, command: ['true'], state: 'RUNNING' }, 201);
    });
  },
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const workload = args[0] ?? 'reads';
  const run = WORKLOADS[workload];
  if (!run) throw new Error(`workloads: ${Object.keys(WORKLOADS).join(', ')}`);
  const buildIndex = args.indexOf('--build');
  snapshotBuild(buildIndex >= 0 ? args[buildIndex + 1] : undefined);
  const profileDir = tempDir('cpuprof');
  const launcherIndex = args.indexOf('--launcher');
  const launcher = launcherIndex >= 0 ? args[launcherIndex + 1] : undefined;
  if (launcher !== undefined && launcher !== 'native' && launcher !== 'in-process') throw new Error('--launcher: native or in-process');
  const daemon = await startSigma({ tls: args.includes('--tls'), nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir], ...(launcher ? { launcher } : {}) });
  try {
    await run(daemon.url, daemon.api);
  } finally {
    await daemon.stop();
    await endAll();
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  const intervalMs = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const selfMs = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * intervalMs;
    totalMs += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?dist\//, 'dist/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
    const module = !url
      ? functionName.startsWith('(') ? functionName : 'native (syscalls, V8 builtins)'
      : url.includes('node_modules/')
        ? (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? 'node_modules')
        : url.includes('/dist/')
          ? `sigma ${url.replace(/^.*\/dist\//, '')}`
          : url.startsWith('node:')
            ? `node ${url.replace(/^node:internal\//, '').split('/')[0]}`
            : url;
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
  }
  process.stdout.write(`profile: ${join(profileDir, file)} (${totalMs.toFixed(0)} ms sampled)\n`);
  process.stdout.write('by module:\n');
  for (const [module, ms] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    process.stdout.write(`${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${module}\n`);
  }
  process.stdout.write('by function:\n');
  const top = [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [key, ms] of top) process.stdout.write(`${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms  ${key}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    void endAll().finally(() => process.exit(1));
  },
);
