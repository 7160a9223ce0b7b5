// A daemon killed outright with whatever held its jobs (SIGKILL of the daemon and its launcher,
// a power cut) leaves jobs behind that nobody watches: the next boot ends every one of them,
// records its run, and starts again what was started. What leaves a job's process group is found
// by the mark every job inherits, and ended by STOP. (A daemon killed alone, its launcher alive,
// leaves nothing unwatched: its jobs are adopted, test/integration/adoption.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers } from '../support/osProcesses.js';
import { killStrays, trackStray } from '../support/strayProcesses.js';
import { cleanUpDaemons, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

afterEach(killStrays);

/** A job that starts `sleep 300` in a session of its own and prints that stray's pid. */
const ESCAPING_JOB = ['sh', '-c', 'setsid sleep 300 & echo $!; exec sleep 300'];

async function strayPidOf(daemon: SigmaDaemon, id: number): Promise<number> {
  const text = await waitFor('the stray\'s pid in the log', async () => (await daemon.request('GET', `/processes/${id}/logs`)).text, (t) => /^\d+\n/.test(t));
  const pid = Number(text.trim().split('\n')[0]);
  trackStray(pid);
  await waitFor(`stray ${pid} to be alive`, () => isAlive(pid), (alive) => alive);
  return pid;
}

describe('after the daemon and its launcher are killed', () => {
  it('ends the jobs it left running at the next boot, records their runs, and starts them again', async () => {
    const first = await SigmaDaemon.start();
    const id = (await first.create({ name: 'survivor', command: ['sh', '-c', 'sleep 300 & exec sleep 300'], state: 'RUNNING' })).body.processes[0].id;
    const oldPid = (await first.process(id)).pid as number;
    await waitFor('the grandchild', () => liveGroupMembers(oldPid).length, (count) => count === 2);
    await first.killOutright();
    expect(liveGroupMembers(oldPid).length, 'the jobs outlive a killed daemon and launcher').toBe(2);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    // Ended while the new daemon serves; the process starts again once nothing of it is left.
    await waitFor('nothing of the old job to be left', () => liveGroupMembers(oldPid), (members) => members.length === 0);
    const now = await waitFor('the process to run again', () => second.process(id), (p) => p.state === 'RUNNING' && p.pid !== oldPid);
    expect(now.lastExit).toMatchObject({ code: null, signal: 'SIGTERM' });
    const [run] = (await second.request('GET', `/processes/${id}/runs?limit=1`)).body.runs;
    expect(run).toMatchObject({ pid: oldPid, exitCode: null, signal: 'SIGTERM', endedBySigma: true });
    expect(run.error).toMatch(/left running by a daemon/);
    await second.operate(id, 'STOP');
  });

  it('records a job that ended while no daemon ran as ended on its own, exit status unknown, with no signal sent to its pid', async () => {
    const first = await SigmaDaemon.start();
    // The pid as the create answers it: a later read may come after the job's end on a busy machine.
    const [created] = (await first.create({ name: 'brief', command: ['sleep', '0.3'], state: 'RUNNING' })).body.processes;
    const { id } = created;
    const oldPid = created.pid as number;
    await first.killOutright();
    await waitFor('the orphaned job to end', () => isAlive(oldPid), (alive) => !alive);
    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    const [run] = (await second.request('GET', `/processes/${id}/runs?limit=1`)).body.runs;
    expect(run).toMatchObject({ pid: oldPid, exitCode: null, signal: null, endedBySigma: false });
    expect(run.error).toMatch(/exit status is unknown/);
    await second.operate(id, 'STOP');
  });

  it('ends at the next boot what a job had started outside its process group', async () => {
    const first = await SigmaDaemon.start();
    const id = (await first.create({ name: 'escaper', command: ESCAPING_JOB, state: 'RUNNING' })).body.processes[0].id;
    trackJobGroup((await first.process(id)).pid);
    const stray = await strayPidOf(first, id);
    await first.killOutright();
    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    await waitFor(`stray ${stray} to be ended after the next boot`, () => isAlive(stray), (alive) => !alive);
    await second.operate(id, 'STOP');
  });
});

describe('a job that leaves its process group', () => {
  it('has what it left behind ended by STOP, as by DELETE and by a shutdown', async () => {
    const daemon = await SigmaDaemon.start();
    const ids = [];
    for (const name of ['stopped', 'deleted', 'shut-down']) {
      ids.push((await daemon.create({ name, command: ESCAPING_JOB, state: 'RUNNING', stopTimeoutMs: 500 })).body.processes[0].id);
    }
    const [stopped, deleted, shutDown] = ids as [number, number, number];
    const strays = [await strayPidOf(daemon, stopped), await strayPidOf(daemon, deleted), await strayPidOf(daemon, shutDown)];
    expect((await daemon.operate(stopped, 'STOP')).body.processes[0].result).toBe('OK');
    expect(isAlive(strays[0]!), 'the stray of a STOPped job').toBe(false);
    expect(isAlive(strays[2]!), 'another process\'s stray is left alone').toBe(true);
    expect((await daemon.request('DELETE', `/processes/${deleted}`)).status).toBe(204);
    expect(isAlive(strays[1]!), 'the stray of a DELETEd process').toBe(false);
    expect(await daemon.stop()).toBe(0);
    expect(isAlive(strays[2]!), 'the stray at shutdown').toBe(false);
  });
});
