// A PERIODIC process under the launcher has its next job's process ready between releases: a
// `sigma-starter` child of the launcher, in its own session, which at the release point execs the
// job in place (the job's pid is the standby's). It goes with STOP, and a partition that limits
// its tasks has none (a waiting standby would count against the limit).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { liveChildrenOf, STARTER_NAME } from '../support/stateBench.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const PERIOD_MS = 400;

function standbysOf(daemon: SigmaDaemon): number[] {
  return liveChildrenOf(daemon.launcherPid as number)
    .filter((entry) => entry.comm === STARTER_NAME)
    .map((entry) => entry.pid);
}

describe.skipIf(!NATIVE)('standbys of PERIODIC processes', () => {
  it('keeps the next job ready between releases, runs it in place at the point, and ends it with STOP', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'ticks', type: 'PERIODIC', period: PERIOD_MS, command: ['sh', '-c', 'echo $$'], state: 'RUNNING' });
    const id = created.body.processes[0].id as number;
    await waitFor('a first run', () => daemon.process(id), (process) => process.runs >= 1);
    const [standby] = await waitFor('a standby', async () => standbysOf(daemon), (pids) => pids.length === 1);
    const standbyPid = standby as number;
    // Ready in the session it gives the job: its own.
    const stat = readFileSync(`/proc/${standbyPid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(fields[3]), 'its session').toBe(standbyPid);

    const runsBefore = (await daemon.process(id)).runs as number;
    await waitFor('the next release', () => daemon.process(id), (process) => process.runs > runsBefore);
    const printed = await waitFor(
      'the job that ran in the standby to print its pid',
      async () => readFileSync(join(daemon.dataDir, 'logs', `${id}.stdout.log`), 'utf8').trim().split('\n').map(Number),
      (pids) => pids.includes(standbyPid),
    );
    expect(printed).toContain(standbyPid);

    expect((await daemon.operate(id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(standbysOf(daemon), 'standbys after STOP').toEqual([]);
    expect(await daemon.stop()).toBe(0);
  });

  it('keeps none for a process of a partition that limits its tasks', async (context) => {
    const daemon = await SigmaDaemon.start();
    const limits = (await daemon.request('GET', '/node')).body.partitionLimits;
    if (limits.pids !== null) skipOrFail(context, 'cgroups', `pids cannot be limited here: ${limits.pids}`);
    expect((await daemon.request('POST', '/partitions', { name: 'few', pids: 20 })).status).toBe(201);
    const created = await daemon.create({ name: 'ticks', partition: 'few', type: 'PERIODIC', period: 200, command: ['true'], state: 'RUNNING' });
    const id = created.body.processes[0].id as number;
    await waitFor('a few runs', () => daemon.process(id), (process) => process.runs >= 3);
    let samples = 0;
    let withStarter = 0;
    const until = performance.now() + 600;
    while (performance.now() < until) {
      samples += 1;
      if (standbysOf(daemon).length > 0) withStarter += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // A release's own starter lives about a millisecond; a standby would be there all along.
    expect(withStarter / samples, `samples with a starter: ${withStarter} of ${samples}`).toBeLessThan(0.3);
    const process = await daemon.process(id);
    expect(process.runs).toBeGreaterThanOrEqual(5);
    await daemon.operate(id, 'STOP');
  });
});
