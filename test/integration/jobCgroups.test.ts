// Where a cgroup can be made, every job runs in one of its own: SUSPEND and STOP reach what left
// the job's process group and dropped its mark, and what a killed daemon left is ended at the
// next boot. Where none can be made, these tests are skipped, saying why (failed under SIGMA_REQUIRE_CGROUPS=1).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { startEscaper } from '../support/escapingJob.js';
import { killStrays, trackStray } from '../support/strayProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

afterEach(killStrays);

/** The daemon's cgroup of its jobs, or the test is skipped with the daemon's reason. */
async function jobCgroupsOf(daemon: SigmaDaemon, context: TestContext): Promise<string> {
  const reply = await daemon.request('GET', '/node');
  expect(reply.status).toBe(200);
  const { mode, cgroup, reason } = reply.body.jobTracking;
  if (mode === 'process-group') skipOrFail(context, 'cgroups', `no cgroup can be made here: ${reason}`);
  expect(['cgroup-v1', 'cgroup-v2']).toContain(mode);
  return cgroup as string;
}

function membersOf(cgroupPath: string): number[] {
  return readFileSync(join(cgroupPath, 'cgroup.procs'), 'latin1').trim().split('\n').filter(Boolean).map(Number);
}

describe('a job in a cgroup of its own', () => {
  it('is frozen whole by SUSPEND and ended whole by STOP, also what left its group and its mark; its cgroup is left empty', async (context) => {
    const daemon = await SigmaDaemon.start();
    const parent = await jobCgroupsOf(daemon, context);
    const { id, leader, stray } = await startEscaper(daemon, 'escaper');
    const jobCgroup = join(parent, 'partition-default', `process-${id}`);
    expect(existsSync(jobCgroup), `${jobCgroup} while the job runs`).toBe(true);
    expect(membersOf(jobCgroup)).toEqual(expect.arrayContaining([leader, stray]));

    expect((await daemon.operate(id, 'SUSPEND')).body.processes[0]).toMatchObject({ state: 'SUSPENDEND', result: 'OK' });
    expect(procState(leader), 'the leader after SUSPEND').toBe('T');
    expect(procState(stray), 'the escaped grandchild after SUSPEND').toBe('T');

    expect((await daemon.operate(id, 'RESUME')).body.processes[0]).toMatchObject({ state: 'RUNNING', result: 'OK' });
    expect(procState(stray), 'the escaped grandchild after RESUME').toMatch(/^[RS]$/);

    expect((await daemon.operate(id, 'STOP')).body.processes[0]).toMatchObject({ state: 'DORMANT', result: 'OK' });
    expect(isAlive(leader), 'the leader after STOP').toBe(false);
    expect(isAlive(stray), 'the escaped grandchild after STOP').toBe(false);
    // Emptied; kept a few seconds for the process's next job, then removed (and at DELETE or shutdown).
    expect(existsSync(jobCgroup) ? membersOf(jobCgroup) : [], `members of ${jobCgroup} after STOP`).toEqual([]);
    expect(await daemon.stop()).toBe(0);
    expect(existsSync(parent), `${parent} after the daemon's shutdown`).toBe(false);
  });

  it('ends the job when DELETE removes its process, and the daemon\'s cgroup goes at shutdown', async (context) => {
    const daemon = await SigmaDaemon.start();
    const parent = await jobCgroupsOf(daemon, context);
    const { id, stray } = await startEscaper(daemon, 'deleted');
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
    expect(isAlive(stray), 'the escaped grandchild after DELETE').toBe(false);
    const deletedCgroup = join(parent, 'partition-default', `process-${id}`);
    await waitFor(`${deletedCgroup} to go after DELETE`, async () => existsSync(deletedCgroup), (exists) => !exists);

    const { stray: atShutdown } = await startEscaper(daemon, 'shut-down');
    expect(await daemon.stop()).toBe(0);
    expect(isAlive(atShutdown), 'the escaped grandchild after the daemon\'s shutdown').toBe(false);
    expect(existsSync(parent), `${parent} after the daemon's shutdown`).toBe(false);
  });

  it('leaves a job cgroup when the daemon and its launcher are killed, which the next boot empties and removes', async (context) => {
    const first = await SigmaDaemon.start();
    const parent = await jobCgroupsOf(first, context);
    const { id, stray } = await startEscaper(first, 'survivor');
    const leftover = join(parent, 'partition-default', `process-${id}`);
    const leftoverInode = statSync(leftover).ino;
    const oldPid = (await first.process(id)).pid;
    await first.killOutright();
    expect(isAlive(stray), 'the escaped grandchild outlives a killed daemon and launcher').toBe(true);
    expect(membersOf(leftover)).toContain(stray);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    // Ended while the next daemon serves; then the process is started again, in a new cgroup that may have the same name.
    const now = await waitFor('the process to run again', () => second.process(id), (p) => p.state === 'RUNNING' && p.pid !== oldPid);
    expect(isAlive(stray), 'the escaped grandchild once the process runs again').toBe(false);
    const current = existsSync(leftover) ? statSync(leftover).ino : null;
    expect(current, 'the leftover cgroup itself is gone').not.toBe(leftoverInode);
    expect(membersOf(leftover)).toContain(now.pid);
    expect(membersOf(leftover)).not.toContain(stray);
    await second.operate(id, 'STOP');
    expect(await second.stop()).toBe(0);
  });
});

describe('without cgroups (--no-cgroups), as where none can be made', () => {
  it('says so at GET /node, puts the job in no cgroup of its own, and STOP still ends what left the group with its mark', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--no-cgroups'] });
    const node = await daemon.request('GET', '/node');
    expect(node.body.jobTracking).toMatchObject({ mode: 'process-group', cgroup: null });
    expect(node.body.jobTracking.reason).toMatch(/--no-cgroups/);
    const created = await daemon.create({ name: 'marked', command: ['sh', '-c', 'setsid sleep 300 & echo $!; exec sleep 300'], state: 'RUNNING' });
    const id = created.body.processes[0].id as number;
    const leader = (await daemon.process(id)).pid as number;
    const log = await waitFor('the stray\'s pid in the log', async () => (await daemon.request('GET', `/processes/${id}/logs`)).text, (text) => /^\d+\n/.test(text));
    const stray = Number(log.trim().split('\n')[0]);
    trackStray(stray);
    expect(readFileSync(`/proc/${leader}/cgroup`, 'latin1'), 'the job is where the daemon is').toBe(readFileSync(`/proc/${daemon.pid}/cgroup`, 'latin1'));
    expect((await daemon.operate(id, 'STOP')).body.processes[0]).toMatchObject({ state: 'DORMANT', result: 'OK' });
    expect(isAlive(stray), 'the marked stray after STOP').toBe(false);
  });
});
