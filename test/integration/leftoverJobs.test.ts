// A daemon killed with nothing holding its jobs (jobs in its own process, or its launcher killed)
// leaves them running; the next daemon serves at once while it ends them, each with its grace:
// /health and reads answer, other processes change, the left-over's own process refuses every
// operation as busy, then starts again once its left-over is gone, with exactly one job.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, killGroup, psAll } from '../support/osProcesses.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

/** The test's grace: long enough for the checks below, short enough to wait for. */
const GRACE_MS = 10_000;
/** A job that ignores SIGTERM, so that ending it takes the whole grace. */
const STUBBORN = ['sh', '-c', "trap '' TERM; exec sleep 1000"];

function ignoresSigterm(pid: number): boolean {
  const line = readFileSync(`/proc/${pid}/status`, 'latin1')
    .split('\n')
    .find((entry) => entry.startsWith('SigIgn:'));
  return line !== undefined && (BigInt(`0x${line.slice('SigIgn:'.length).trim()}`) & (1n << 14n)) !== 0n;
}

/** The live job leaders (group leaders) carrying the mark of this node's process `processId`. */
function jobLeadersOf(nodeId: string, processId: number): number[] {
  return psAll()
    .filter((entry) => entry.pid === entry.pgid && entry.state !== 'Z')
    .filter((entry) => {
      try {
        const variables = readFileSync(`/proc/${entry.pid}/environ`, 'latin1').split('\0');
        return variables.includes(`SIGMA_NODE_ID=${nodeId}`) && variables.includes(`SIGMA_PROCESS_ID=${processId}`);
      } catch {
        return false;
      }
    })
    .map((entry) => entry.pid);
}

async function stubbornJob(daemon: SigmaDaemon): Promise<{ id: number; pid: number; nodeId: string }> {
  const reply = await daemon.create({ name: 'stubborn', command: STUBBORN, state: 'RUNNING', stopTimeoutMs: GRACE_MS });
  expect(reply.status, reply.text).toBe(201);
  const { id } = reply.body.processes[0];
  const pid = (await daemon.process(id)).pid as number;
  await waitFor(`job ${pid} to ignore SIGTERM`, () => ignoresSigterm(pid), (ignores) => ignores);
  const nodeId = readFileSync(`/proc/${pid}/environ`, 'latin1')
    .split('\0')
    .find((entry) => entry.startsWith('SIGMA_NODE_ID='))
    ?.slice('SIGMA_NODE_ID='.length) as string;
  return { id, pid, nodeId };
}

/** What the next daemon must do with a left-over job `oldPid` of process `id`. */
async function servesWhileEnding(daemon: SigmaDaemon, { id, pid: oldPid, nodeId }: { id: number; pid: number; nodeId: string }): Promise<void> {
  // The first answer: the left-over still has most of its grace ahead.
  const health = await daemon.request('GET', '/health', undefined, { authorization: '' });
  expect(isAlive(oldPid), 'the left-over job when /health first answered').toBe(true);
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'ok', leftoverJobs: 1 });
  expect((await daemon.request('GET', '/node')).body.leftoverJobs).toBe(1);

  // Reads: the process shows its left-over job, being ended.
  expect(await daemon.process(id)).toMatchObject({ state: 'RUNNING', pid: oldPid });
  expect((await daemon.request('GET', '/processes')).status).toBe(200);

  // Its own operations are refused at once, exactly.
  for (const operation of ['START', 'STOP', 'SUSPEND', 'RESUME']) {
    const reply = await daemon.operate(id, operation);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.processes[0]).toMatchObject({ id, result: 'FAILED', state: 'RUNNING' });
    expect(reply.body.processes[0].reason).toMatch(new RegExp(`^busy: a job left by the previous daemon is being ended \\(pid ${oldPid}`));
  }
  const deleted = await daemon.request('DELETE', `/processes/${id}`);
  expect(deleted.status, deleted.text).toBe(409);
  expect(deleted.body).toMatchObject({ statusCode: 409, code: 'SIGMA_ERR_PROCESS_BUSY', error: 'Conflict' });
  expect(deleted.body.message).toMatch(/^busy: a job left by the previous daemon/);

  // Another process is created and started meanwhile.
  const other = await daemon.create({ name: 'other', command: ['sleep', '300'], state: 'RUNNING' });
  expect(other.status, other.text).toBe(201);
  expect(other.body.processes[0]).toMatchObject({ state: 'RUNNING' });
  expect(isAlive(other.body.processes[0].pid)).toBe(true);
  expect(isAlive(oldPid), 'the left-over job after those answers (they came within its grace)').toBe(true);
  expect(jobLeadersOf(nodeId, id), 'one job of the process: the left-over').toEqual([oldPid]);

  // After its grace: SIGKILL (it ignored SIGTERM), its run recorded, and the process started again.
  await waitFor(`left-over ${oldPid} to be ended`, () => isAlive(oldPid), (alive) => !alive, GRACE_MS + 20_000);
  const now = await waitFor('the process to run again', () => daemon.process(id), (p) => p.state === 'RUNNING' && p.pid !== oldPid);
  expect(isAlive(now.pid)).toBe(true);
  expect(jobLeadersOf(nodeId, id), 'exactly one job of the process').toEqual([now.pid]);
  const [run] = (await daemon.request('GET', `/processes/${id}/runs?limit=1`)).body.runs;
  expect(run).toMatchObject({ pid: oldPid, exitCode: null, signal: 'SIGKILL', endedBySigma: true });
  expect(run.error).toMatch(/left running by a daemon/);
  expect((await daemon.request('GET', '/health')).body).toEqual({ status: 'ok', leftoverJobs: 0 });

  // The new job ignores SIGTERM too: ended here, so that the daemon's stop is quick.
  killGroup(now.pid);
  await waitFor('the new job to be gone', () => daemon.process(id), (p) => p.state === 'DORMANT');
  expect(await daemon.stop()).toBe(0);
}

describe('a left-over job that ignores SIGTERM, at the next start', () => {
  it('after a SIGKILL of a daemon running its jobs in its own process: serves at once and ends it in the background', { timeout: 60_000 }, async () => {
    const first = await SigmaDaemon.start({ args: ['--launcher', 'in-process'] });
    const job = await stubbornJob(first);
    await first.kill();
    expect(isAlive(job.pid), 'the job outlives its killed daemon').toBe(true);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir, args: ['--launcher', 'in-process'] });
    await servesWhileEnding(second, job);
  });

  it.skipIf(!NATIVE)('after the launcher is killed under a running daemon: serves at once and ends it in the background', { timeout: 60_000 }, async () => {
    const first = await SigmaDaemon.start();
    const job = await stubbornJob(first);
    process.kill(first.launcherPid as number, 'SIGKILL');
    first.expectedExit = true;
    expect(await first.waitExit()).toBe(1);
    expect(isAlive(job.pid), 'the job outlives its killed launcher').toBe(true);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    expect(second.launcherPid).not.toBe(first.launcherPid);
    await servesWhileEnding(second, job);
  });
});
