// What a job's cgroup costs at spawn: N jobs of `true` launched with and without cgroups
// (one at a time, alternating which goes first), timed from launch() to the launch's answer and to the job's end
// (cgroup made, child born in it, cgroup found empty and removed). Needs `npm run build`.
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { detectJobCgroups } from '../dist/runtime/cgroupDetection.js';
import { ProcessGroupLauncher } from '../dist/runtime/jobLauncher.js';

const count = Number(process.argv[2] ?? 200);
// An optional second argument names the hierarchy's mount (a hybrid host's unified one, say).
const root = process.argv[3];
const { cgroups, tracking } = detectJobCgroups({ nodeId: `spawn-cost-${process.pid}`, ...(root ? { root } : {}) });
if (!cgroups) {
  console.log(`no cgroups here: ${tracking.reason}`);
  process.exit(1);
}
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const spec = (index) => ({ command: ['true'], cwd: null, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, output: { stdout: sink(), stderr: sink(), release() {} }, stragglerGraceMs: 1000, jobKey: `cost-${index}`, partition: 'bench', needsCgroup: false });
const launchers = { 'process group only': new ProcessGroupLauncher(null), [tracking.mode]: new ProcessGroupLauncher(cgroups, (key, error) => console.error(key, error)) };
const samples = Object.fromEntries(Object.keys(launchers).map((name) => [name, { launched: [], ended: [] }]));
for (let index = 0; index < count; index += 1) {
  // Which way goes first alternates, so that neither always follows the other's exit.
  const order = index % 2 === 0 ? Object.entries(launchers) : Object.entries(launchers).reverse();
  for (const [name, launcher] of order) {
    const startMs = performance.now();
    const result = await launcher.launch(spec(index));
    if (!result.ok) throw new Error(result.error);
    samples[name].launched.push(performance.now() - startMs);
    await result.job.ended;
    samples[name].ended.push(performance.now() - startMs);
  }
}
cgroups.removeParent();
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))].toFixed(3);
console.log(`${count} jobs of \`true\` each way (${tracking.reason})`);
for (const [name, { launched, ended }] of Object.entries(samples)) {
  console.log(`${name.padEnd(20)} launch answered: median ${quantile(launched, 0.5)} ms, p90 ${quantile(launched, 0.9)} ms; job ended: median ${quantile(ended, 0.5)} ms, p90 ${quantile(ended, 0.9)} ms`);
}
