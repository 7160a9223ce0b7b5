// What a partition's cgroup holds, through the daemon as an operator drives it: CPU share, memory
// (an OOM kill inside the partition only, recorded in the run), tasks, and SUSPEND and STOP of a
// job that left its process group. Where this node cannot enforce a limit, the test is skipped
// with the daemon's own reason (failed under SIGMA_REQUIRE_CGROUPS=1); and the daemon then says so
// per partition, which is tested too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { errorMismatch } from '../support/apiChecks.js';
import { startEscaper } from '../support/escapingJob.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { killStrays } from '../support/strayProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);
afterEach(killStrays);

const MIB = 1024 * 1024;
const BUSY_LOOP = ['sh', '-c', 'while :; do :; done'];

/** Skips the test, with the daemon's reason, where this node cannot enforce `limit`. */
async function requireLimit(daemon: SigmaDaemon, limit: 'cpu' | 'memoryBytes' | 'pids', context: TestContext): Promise<void> {
  const reason = (await daemon.request('GET', '/node')).body.partitionLimits[limit];
  if (reason !== null) skipOrFail(context, 'cgroups', `${limit} cannot be enforced on this node: ${reason}`);
}

async function partition(daemon: SigmaDaemon, body: Record<string, unknown>): Promise<void> {
  const reply = await daemon.request('POST', '/partitions', body);
  expect(reply.status, reply.text).toBe(201);
  expect(reply.body.partitions[0].unenforced).toEqual([]);
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** The CPU time a process has used (user and system), from the kernel's /proc/<pid>/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The share of one core a single-process job used over `windowMs`, read from /proc, not from the daemon. */
async function cpuShare(pid: number, windowMs: number): Promise<number> {
  const startUsedMs = cpuMsOf(pid);
  const startMs = performance.now();
  // A measurement window, not a wait for something to happen.
  await sleep(windowMs);
  return (cpuMsOf(pid) - startUsedMs) / (performance.now() - startMs);
}

/** The cgroup paths of a live process, by controller, as the kernel shows them. */
function cgroupsOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cgroup`, 'latin1');
}

describe('partition limits', () => {
  it('holds a busy job to its partition\'s cpu share (0.2 of a core), while the same job unlimited takes a whole core', async (context) => {
    const daemon = await SigmaDaemon.start();
    await requireLimit(daemon, 'cpu', context);
    await partition(daemon, { name: 'slow', cpu: 0.2 });
    await partition(daemon, { name: 'free' });
    // One after the other: on two cores, two busy jobs would measure each other.
    const slow = (await daemon.create({ name: 'busy-slow', partition: 'slow', command: BUSY_LOOP, state: 'RUNNING' })).body.processes[0];
    const slowPid = (await daemon.process(slow.id)).pid as number;
    expect(cgroupsOf(slowPid)).toContain(`/partition-slow/process-${slow.id}`);
    await sleep(300);
    const limitedShare = await cpuShare(slowPid, 3000);
    await daemon.operate(slow.id, 'STOP');

    const free = (await daemon.create({ name: 'busy-free', partition: 'free', command: BUSY_LOOP, state: 'RUNNING' })).body.processes[0];
    const freePid = (await daemon.process(free.id)).pid as number;
    await sleep(300);
    const freeShare = await cpuShare(freePid, 3000);
    // The partition's accounting, as the daemon reports it, holds at least what its one job used
    // (read first; a clock tick of rounding either way).
    const jobCpuMs = cpuMsOf(freePid);
    const reportedCpuMs = (await daemon.request('GET', '/partitions/free')).body.partitions[0].usage.cpuMs as number;
    expect(reportedCpuMs, `usage.cpuMs of the partition, against ${jobCpuMs} ms of its job in /proc`).toBeGreaterThanOrEqual(jobCpuMs - 1000 / CLOCK_TICKS_PER_SECOND);
    await daemon.operate(free.id, 'STOP');
    console.info(`partitions.limits.test.ts: cpu 0.2 measured ${limitedShare.toFixed(3)} of a core; unlimited ${freeShare.toFixed(3)}`);
    expect(limitedShare).toBeGreaterThan(0.1);
    expect(limitedShare).toBeLessThan(0.35);
    expect(freeShare).toBeGreaterThan(0.6);
  }, 30_000);

  it('OOM-kills a job past its partition\'s memory, records it in the run, and leaves a job of another partition running', async (context) => {
    const daemon = await SigmaDaemon.start();
    await requireLimit(daemon, 'memoryBytes', context);
    await partition(daemon, { name: 'tight', memoryBytes: 64 * MIB });
    await partition(daemon, { name: 'roomy' });
    const bystander = (await daemon.create({ name: 'bystander', partition: 'roomy', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
    const bystanderPid = (await daemon.process(bystander.id)).pid as number;
    // The shell holds the 200 MB its command substitution reads; started again, it only says so.
    const mark = join(daemon.dataDir, 'hog-ran');
    const hogScript = `if [ -e ${mark} ]; then echo again; exit 0; fi; touch ${mark}; x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived`;
    const hog = (await daemon.create({ name: 'hog', partition: 'tight', command: ['sh', '-c', hogScript], state: 'RUNNING' })).body.processes[0];
    const ended = await waitFor('the hog to end', async () => daemon.process(hog.id), (process) => process.state === 'DORMANT', 20_000);
    expect(ended.lastExit).toMatchObject({ signal: 'SIGKILL', oomKilled: true });
    const [run] = (await daemon.request('GET', `/processes/${hog.id}/runs`)).body.runs;
    expect(run).toMatchObject({ signal: 'SIGKILL', oomKilled: true, endedBySigma: false });
    expect((await daemon.request('GET', `/processes/${hog.id}/logs`)).text).not.toContain('survived');
    // Its next job (in the cgroup the killed one left, where the kernel's count of OOM kills goes on) is not one.
    expect((await daemon.operate(hog.id, 'START')).body.processes[0]).toMatchObject({ result: 'OK' });
    const again = await waitFor('the hog to end again', async () => daemon.process(hog.id), (process) => process.state === 'DORMANT' && process.runs === 2);
    expect(again.lastExit).toMatchObject({ code: 0, signal: null, oomKilled: false });
    expect(await daemon.process(bystander.id)).toMatchObject({ state: 'RUNNING', pid: bystanderPid });
    expect(isAlive(bystanderPid)).toBe(true);
    await daemon.operate(bystander.id, 'STOP');
    const [stopped] = (await daemon.request('GET', `/processes/${bystander.id}/runs`)).body.runs;
    expect(stopped).toMatchObject({ oomKilled: false, endedBySigma: true });
  }, 30_000);

  it('refuses, changing nothing, a memory limit the kernel will not set (below what the partition uses now)', async (context) => {
    const daemon = await SigmaDaemon.start();
    await requireLimit(daemon, 'memoryBytes', context);
    if ((await daemon.request('GET', '/node')).body.jobTracking.mode === 'cgroup-v2') context.skip('cgroup v2 reclaims and OOM-kills instead of refusing a limit below the usage');
    await partition(daemon, { name: 'full', memoryBytes: 512 * MIB });
    const holder = (
      await daemon.create({ name: 'holder', partition: 'full', command: ['sh', '-c', 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); sleep 300'], state: 'RUNNING' })
    ).body.processes[0];
    const holderPid = (await daemon.process(holder.id)).pid as number;
    const usage = async () => (await daemon.request('GET', '/partitions/full')).body.partitions[0];
    await waitFor('the job to hold 40 MB', usage, (p) => p.usage.memoryBytes > 40_000_000);
    const refused = await daemon.request('PUT', '/partitions/full', { memoryBytes: 2 * MIB, pids: 100 });
    expect(errorMismatch(refused, 409, 'SIGMA_ERR_PARTITION_LIMIT_REFUSED')).toBeNull();
    expect(refused.body.message).toMatch(/EBUSY/);
    expect(await usage()).toMatchObject({ memoryBytes: 512 * MIB, pids: null, unenforced: [] });
    const memoryCgroup = /:memory:(.*)$/m.exec(cgroupsOf(holderPid))?.[1];
    if (memoryCgroup !== undefined) {
      const limitFile = `/sys/fs/cgroup/memory${memoryCgroup.replace(/\/process-\d+(\.\d+)?$/, '')}/memory.limit_in_bytes`;
      expect(readFileSync(limitFile, 'latin1').trim()).toBe(String(512 * MIB));
    }
    expect(isAlive(holderPid)).toBe(true);
    await daemon.operate(holder.id, 'STOP');
  }, 30_000);

  it('refuses the forks of its jobs past its partition\'s task limit', async (context) => {
    const daemon = await SigmaDaemon.start();
    await requireLimit(daemon, 'pids', context);
    await partition(daemon, { name: 'few', pids: 5 });
    // The shell and at most four sleeps fit; the shell gives up at the first refused fork.
    const forker = (
      await daemon.create({
        name: 'forker',
        partition: 'few',
        command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 300 & echo started; done; wait'],
        state: 'RUNNING',
      })
    ).body.processes[0];
    await daemon.process(forker.id);
    const stderr = await waitFor('a refused fork', async () => (await daemon.request('GET', `/processes/${forker.id}/logs?stream=stderr`)).text, (text) => /fork/i.test(text));
    expect(stderr).toMatch(/fork/i);
    const started = (await daemon.request('GET', `/processes/${forker.id}/logs`)).text.split('\n').filter((line) => line === 'started');
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(4);
    await daemon.operate(forker.id, 'STOP');
  }, 30_000);

  it('refuses to START a job in a partition already at its task limit, saying why, and starts it once there is room', async (context) => {
    const daemon = await SigmaDaemon.start();
    await requireLimit(daemon, 'pids', context);
    await partition(daemon, { name: 'full', pids: 2 });
    // Two tasks: the partition is full. It forks after a moment (a loop of the shell's builtins):
    // with jobs in the daemon's process, the daemon's thread is in the job's cgroup while it
    // spawns it, and counts there until it leaves (docs/limits.md).
    const holder = (
      await daemon.create({ name: 'holder', partition: 'full', command: ['sh', '-c', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 300 & exec sleep 300'], state: 'RUNNING' })
    ).body.processes[0];
    await waitFor('the holder to have its two tasks', async () => (await daemon.request('GET', '/partitions/full')).body.partitions[0].usage.pids, (pids) => pids === 2);
    const late = (await daemon.create({ name: 'late', partition: 'full', command: ['sleep', '300'] })).body.processes[0];
    const refused = (await daemon.operate(late.id, 'START')).body.processes[0];
    expect(refused).toMatchObject({ result: 'FAILED', state: 'DORMANT' });
    const afterRefusal = await daemon.process(late.id);
    expect(afterRefusal.lastExit.error).toMatch(/^EAGAIN: fork refused: the partition's pids limit/);
    expect((await daemon.request('GET', '/partitions/full')).body.partitions[0].usage.pids, 'nothing of the refused job is left').toBe(2);

    expect((await daemon.operate(holder.id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    const usage = await waitFor('the partition to be empty', async () => (await daemon.request('GET', '/partitions/full')).body.partitions[0].usage.pids, (pids) => pids === 0).catch(() => 'not empty');
    expect(usage).toBe(0);
    const started = (await daemon.operate(late.id, 'START')).body.processes[0];
    expect(started, JSON.stringify(await daemon.process(late.id))).toMatchObject({ result: 'OK', state: 'RUNNING' });
    await daemon.operate(late.id, 'STOP');
  }, 30_000);

  it('freezes with SUSPEND and ends with STOP a job of a partition that double-forked out of its process group', async (context) => {
    const daemon = await SigmaDaemon.start();
    const tracking = (await daemon.request('GET', '/node')).body.jobTracking;
    if (tracking.mode === 'process-group') skipOrFail(context, 'cgroups', `no cgroup can be made here: ${tracking.reason}`);
    await partition(daemon, { name: 'fenced', maxRunning: 1 });
    const { id, leader, stray } = await startEscaper(daemon, 'escaper', 'fenced');
    expect(cgroupsOf(stray)).toContain(`/partition-fenced/process-${id}`);
    const suspended = await daemon.request('PUT', '/partitions/fenced', { operation: 'SUSPEND' });
    expect(suspended.body.processes).toEqual([expect.objectContaining({ id, state: 'SUSPENDEND', result: 'OK' })]);
    expect(procState(leader)).toBe('T');
    expect(procState(stray), 'the escaped grandchild after SUSPEND').toBe('T');
    const stopped = await daemon.request('PUT', '/partitions/fenced', { operation: 'STOP' });
    expect(stopped.body.processes).toEqual([expect.objectContaining({ id, state: 'DORMANT', result: 'OK' })]);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(stray), 'the escaped grandchild after STOP').toBe(false);
  });
});

describe('where no cgroup can be made', () => {
  it('keeps the slots, and says per partition, in GET /node and at start which limits it cannot enforce', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--no-cgroups'] });
    const node = (await daemon.request('GET', '/node')).body;
    expect(node.partitionLimits).toEqual({ cpu: expect.stringContaining('--no-cgroups'), memoryBytes: expect.any(String), pids: expect.any(String) });
    const created = await daemon.request('POST', '/partitions', { name: 'unfenced', maxRunning: 1, cpu: 0.5, pids: 10 });
    expect(created.status).toBe(201);
    expect(created.body.partitions[0].unenforced).toEqual([
      { limit: 'cpu', reason: expect.stringContaining('--no-cgroups') },
      { limit: 'pids', reason: expect.stringContaining('--no-cgroups') },
    ]);
    expect(created.body.partitions[0].usage).toEqual({ cpuMs: null, memoryBytes: null, pids: null });
    expect(daemon.stderr).toMatch(/partition limits this node cannot enforce/);

    const first = (await daemon.create({ name: 'first', partition: 'unfenced', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
    await daemon.process(first.id);
    const second = await daemon.create({ name: 'second', partition: 'unfenced', command: ['sleep', '300'], state: 'RUNNING' });
    expect(second.body.processes[0].state).toBe('READY');
    await daemon.request('PUT', '/partitions/unfenced', { operation: 'STOP' });
  });
});
