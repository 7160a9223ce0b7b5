import { createProcesses, startSigma, tempDir, freePort } from './lib/sigmaDaemon.js';
import { endAll } from './lib/cleanup.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = tempDir('adopt');
const port = await freePort();
let daemon = await startSigma({ tls: false, dataDir, port, maxSockets: 8 });
try {
  const ids = await createProcesses(daemon.api, 1000, 'live', ['sleep', '3600'], 8, { state: 'RUNNING' });
  for (let index = 0; index < 20; index += 1) await daemon.api.expect('POST', '/processes', { name: `periodic-${index}`, type: 'PERIODIC', period: 100, command: ['true'], state: 'RUNNING' }, 201);
  await sleep(1000);
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round += 1) {
    const t0 = performance.now();
    await daemon.kill();
    const tk = performance.now();
    daemon = await startSigma({ tls: false, dataDir, port, maxSockets: 8, ...(process.env.PROF ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', '/tmp/probe/adoptprof3'] } : {}) });
    const ts = performance.now();
    let polls = 0;
    for (;;) {
      polls += 1;
      const reply = await daemon.api.expect('GET', '/processes', undefined, 200);
      const all = (reply.body.processes as { state: string; pid: number | null; type: string }[]).every((p) => p.type === 'PERIODIC' || (p.state === 'RUNNING' && p.pid !== null));
      if (all) break;
      await sleep(10);
    }
    const ta = performance.now();
    console.log(`round ${round}: kill ${(tk - t0).toFixed(0)} ms, start->serving ${(ts - tk).toFixed(0)} ms, serving->adopted ${(ta - ts).toFixed(0)} ms (${polls} polls), total ${(ta - t0).toFixed(0)} ms; ids ${ids.length}`);
    await sleep(2000);
  }
} finally {
  await daemon.stop();
  await endAll();
}
