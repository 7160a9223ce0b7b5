// A partition's limits, held by its cgroup for real: jobs run in the partition's cgroup on this
// machine's hierarchy, and what they may use is read from the kernel's own accounting and /proc.
// A limit this node cannot enforce skips its test, saying why (a failure under SIGMA_REQUIRE_CGROUPS=1).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, type TestContext } from 'vitest';
import { detectJobCgroups } from '../../src/runtime/cgroupDetection.js';
import { stopEveryMember, type JobCgroup } from '../../src/runtime/jobCgroups.js';
import { ProcessGroupLauncher, type JobEnd, type RunningJob } from '../../src/runtime/jobLauncher.js';
import { endLeftoverJobCgroups } from '../../src/runtime/leftoverJobCgroups.js';
import type { PartitionLimits } from '../../src/runtime/partitionLimits.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { ownV1Path } from '../support/ownCgroups.js';
import { isRequired, skipOrFail } from '../support/requiredCapabilities.js';
import { waitFor } from '../support/waitFor.js';

const MIB = 1024 * 1024;
const NO_LIMITS: PartitionLimits = { cpu: null, memoryBytes: null, pids: null };
const BUSY_LOOP = ['sh', '-c', 'while :; do :; done'];

const nodeId = `partition-test-${process.pid}`;
const { cgroups, tracking, partitions } = detectJobCgroups({ nodeId });
const usedPartitions = new Set<string>();
const jobs: RunningJob[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const job of jobs.splice(0)) {
    job.kill();
    await job.ended;
  }
  for (const child of children.splice(0)) if (child.pid !== undefined && isAlive(child.pid)) child.kill('SIGKILL');
  if (cgroups) await endLeftoverJobCgroups(cgroups, 0);
});

afterAll(() => {
  for (const partition of usedPartitions) partitions.remove(partition);
  cgroups?.removeParent();
});

/** Why a test of `limit` cannot run here, or null. */
function unsupported(limit: keyof PartitionLimits): string | null {
  return cgroups === null ? tracking.reason : partitions.support[limit];
}

/** Skips (or, where cgroups are required, fails) a test that cannot run here. */
function runnable(context: TestContext, why: string | null): void {
  if (why !== null) skipOrFail(context, 'cgroups', why);
}

function apply(partition: string, limits: Partial<PartitionLimits>): void {
  usedPartitions.add(partition);
  expect(partitions.apply(partition, { ...NO_LIMITS, ...limits }), `the limits of ${partition} hold`).toEqual([]);
}

/** A job launched as the daemon launches one, its output kept for the test to read. */
async function launch(partition: string, command: string[]): Promise<{ job: RunningJob; stderr: () => string }> {
  const launched = await launchOrRefusal(partition, command);
  if (!launched.ok) throw new Error(`the job did not start: ${launched.error}`);
  return launched;
}

async function launchOrRefusal(partition: string, command: string[]) {
  usedPartitions.add(partition);
  let stderr = '';
  const sink = new PassThrough();
  sink.resume();
  const errors = new PassThrough();
  errors.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const launched = await new ProcessGroupLauncher(cgroups).launch({
    command,
    cwd: null,
    env,
    output: { stdout: sink, stderr: errors, release: () => undefined },
    stragglerGraceMs: 200,
    jobKey: `process-${jobs.length + 1}`,
    partition,
    needsCgroup: true,
  });
  if (launched.ok) jobs.push(launched.job);
  return launched.ok ? { ok: true as const, job: launched.job, stderr: () => stderr } : launched;
}

/** The partition's CPU time so far, read from its own cgroup's accounting. */
function partitionCpuMs(partition: string): number {
  const parent = tracking.mode === 'cgroup-v2' ? (tracking.parentPath as string) : join(ownV1Path('cpuacct') as string, `sigma-${nodeId}`);
  const dir = join(parent, `partition-${partition}`);
  if (tracking.mode === 'cgroup-v1') return Number(readFileSync(join(dir, 'cpuacct.usage'), 'latin1')) / 1e6;
  const line = readFileSync(join(dir, 'cpu.stat'), 'latin1').split('\n').find((entry) => entry.startsWith('usage_usec ')) as string;
  return Number(line.split(' ')[1]) / 1000;
}

/** The share of one core the partition used over windowMs. */
async function cpuShareOver(partition: string, windowMs: number): Promise<number> {
  const startCpuMs = partitionCpuMs(partition);
  const startMs = performance.now();
  // A measurement window, not a wait for something to happen.
  await sleep(windowMs);
  return (partitionCpuMs(partition) - startCpuMs) / (performance.now() - startMs);
}

/** The directory of a partition's or job's cgroup in a v1 controller (or the v2 one). */
function dirIn(controller: string, ...below: string[]): string {
  if (tracking.mode === 'cgroup-v2') return join(tracking.parentPath as string, ...below);
  return join(ownV1Path(controller) as string, `sigma-${nodeId}`, ...below);
}

describe('partition cgroups on the hierarchy this machine has', () => {
  const cpuWhy = unsupported('cpu') ?? (tracking.mode === 'cgroup-v1' && ownV1Path('cpuacct') === null ? 'no cpuacct controller to measure with' : null);
  it('a cpu limit of 0.2 holds a busy job to about a fifth of a core; without it, the same job takes a whole core', async (context) => {
    runnable(context, cpuWhy);
    apply('slow', { cpu: 0.2 });
    apply('free', {});
    // One after the other: on a two-core machine two busy jobs would measure each other.
    const slow = await launch('slow', BUSY_LOOP);
    await sleep(300);
    const limitedShare = await cpuShareOver('slow', 3000);
    slow.job.kill();
    await slow.job.ended;

    await launch('free', BUSY_LOOP);
    await sleep(300);
    const freeShare = await cpuShareOver('free', 3000);
    console.info(`partitionCgroups.test.ts: cpu 0.2 measured ${limitedShare.toFixed(3)} of a core; unlimited ${freeShare.toFixed(3)}`);
    expect(limitedShare).toBeGreaterThan(0.1);
    expect(limitedShare).toBeLessThan(0.35);
    expect(freeShare).toBeGreaterThan(0.6);
    expect(partitions.usage('free').cpuMs).toBeGreaterThan(0);
  }, 20_000);

  const memoryWhy = unsupported('memoryBytes');
  it('a job past its partition\'s memory limit is OOM-killed and its end says so; a job of another partition runs on', async (context) => {
    runnable(context, memoryWhy);
    apply('tight', { memoryBytes: 64 * MIB });
    apply('roomy', {});
    const bystander = await launch('roomy', ['sleep', '300']);
    // The shell holds the 200 MB its command substitution reads, in a job of several processes.
    const hog = await launch('tight', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived']);
    const end: JobEnd = await hog.job.ended;
    expect(end).toMatchObject({ signal: 'SIGKILL', oomKilled: true, error: null });
    expect(isAlive(bystander.job.pid), 'the job of the other partition').toBe(true);
    const tightBytes = partitions.usage('tight').memoryBytes;
    expect(tightBytes, 'the partition\'s memory accounting').not.toBeNull();
    expect(tightBytes).toBeLessThanOrEqual(64 * MIB);

    bystander.job.kill();
    expect(await bystander.job.ended).toMatchObject({ signal: 'SIGKILL', oomKilled: false });
  });

  const pidsWhy = unsupported('pids');
  it('a pids limit of 5 refuses the forks past it, and a start in a full partition fails saying why', async (context) => {
    runnable(context, pidsWhy);
    apply('few', { pids: 5 });
    const forker = await launch('few', ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 300 & done; wait']);
    let mostPids = 0;
    const end = await waitFor(
      'the forking job to end once a fork is refused',
      async () => {
        mostPids = Math.max(mostPids, partitions.usage('few').pids ?? 0);
        return Promise.race([forker.job.ended, sleep(10).then(() => null)]);
      },
      (ended) => ended !== null,
    );
    expect(mostPids, 'the most tasks the partition had').toBeLessThanOrEqual(5);
    expect(mostPids, 'the partition reached its limit (its accounting was read)').toBeGreaterThanOrEqual(3);
    expect(forker.stderr(), 'the shell\'s own words on the refused fork').toMatch(/fork/i);
    expect(end).toMatchObject({ error: null, oomKilled: false });

    // The daemon's forking thread counts for the instant of a spawn: 2 admits one job, not a second.
    apply('full', { pids: 2 });
    const holder = await launch('full', ['sleep', '300']);
    const ownCgroups = readFileSync('/proc/self/cgroup', 'latin1');
    const refused = await launchOrRefusal('full', ['sleep', '300']);
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining("fork refused: the partition's pids limit") });
    expect(readFileSync('/proc/self/cgroup', 'latin1'), 'the daemon\'s thread is back in its own cgroups').toBe(ownCgroups);
    expect(readFileSync(`/proc/self/task/${process.pid}/cgroup`, 'latin1')).toBe(ownCgroups);
    expect(isAlive(holder.job.pid)).toBe(true);
  });

  // cgroup v2 reclaims, then OOM-kills, where v1 refuses: there is nothing to answer there.
  it.skipIf(tracking.mode === 'cgroup-v2')('a memory limit below what the partition already uses is answered as not held, not thrown', async (context) => {
    runnable(context, unsupported('memoryBytes'));
    apply('busy', {});
    const holder = await launch('busy', ['sh', '-c', 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); sleep 300']);
    await waitFor('the job to hold 40 MB', () => partitions.usage('busy').memoryBytes ?? 0, (bytes) => bytes > 40_000_000);
    const unenforced = partitions.apply('busy', { ...NO_LIMITS, memoryBytes: 2 * MIB });
    expect(unenforced).toEqual([{ limit: 'memoryBytes', reason: expect.stringMatching(/EBUSY/) }]);
    console.info(`partitionCgroups.test.ts: ${unenforced[0]?.reason}`);
    expect(isAlive(holder.job.pid), 'the job is left running').toBe(true);
    expect(partitions.apply('busy', NO_LIMITS)).toEqual([]);
  });

  const filesWhy = cgroups === null ? tracking.reason : null;
  it("writes each limit into its cgroup's control files, and lifts it again", (context) => {
    runnable(context, filesWhy);
    const v2 = tracking.mode === 'cgroup-v2';
    const file = (controller: string, name: string): string => join(dirIn(controller, 'partition-files'), name);
    const read = (controller: string, name: string): string => readFileSync(file(controller, name), 'latin1').trim();
    // What each supported limit's files say, set (0.5 core, 64 MiB, 32 tasks) and lifted.
    const checks: Array<{ limit: keyof PartitionLimits; set: () => void; lifted: () => void }> = [
      {
        limit: 'cpu',
        set: () => {
          const [quotaUs, periodUs] = v2 ? read('cpu', 'cpu.max').split(' ').map(Number) : [Number(read('cpu', 'cpu.cfs_quota_us')), Number(read('cpu', 'cpu.cfs_period_us'))];
          expect(quotaUs! / periodUs!, `the quota ${quotaUs} µs per period of ${periodUs} µs`).toBe(0.5);
        },
        lifted: () => (v2 ? expect(read('cpu', 'cpu.max')).toBe('max 100000') : expect(read('cpu', 'cpu.cfs_quota_us')).toBe('-1')),
      },
      {
        limit: 'memoryBytes',
        set: () => expect(Number(read('memory', v2 ? 'memory.max' : 'memory.limit_in_bytes'))).toBe(64 * MIB),
        // v1 answers "no limit" with the largest page-aligned number it holds.
        lifted: () => (v2 ? expect(read('memory', 'memory.max')).toBe('max') : expect(Number(read('memory', 'memory.limit_in_bytes'))).toBeGreaterThan(2 ** 62)),
      },
      {
        limit: 'pids',
        set: () => expect(read('pids', 'pids.max')).toBe('32'),
        lifted: () => expect(read('pids', 'pids.max')).toBe('max'),
      },
    ];
    // Where cgroups are required, every limit is: a detection that drops one fails here.
    if (isRequired('cgroups')) expect(checks.map(({ limit }) => [limit, unsupported(limit)])).toEqual(checks.map(({ limit }) => [limit, null]));
    const supported = checks.filter((check) => unsupported(check.limit) === null);
    expect(supported.length, 'limits this node enforces').toBeGreaterThan(0);
    const wanted: PartitionLimits = { cpu: 0.5, memoryBytes: 64 * MIB, pids: 32 };
    apply('files', Object.fromEntries(supported.map(({ limit }) => [limit, wanted[limit]])));
    for (const check of supported) check.set();
    apply('files', {});
    for (const check of supported) check.lifted();
  });

  it('a job that double-forks out of its process group is stopped whole and killed whole in its partition', async (context) => {
    runnable(context, cgroups ? null : tracking.reason);
    apply('lab', { cpu: unsupported('cpu') ? null : 0.5, pids: unsupported('pids') ? null : 20 });
    const cgroup = (cgroups as NonNullable<typeof cgroups>).create('escaper', 'lab');
    const child = cgroup.spawnInside(() => spawn('sh', ['-c', 'setsid sh -c "sleep 300 & exec sleep 300" & exec sleep 300'], { detached: true, stdio: 'ignore' }));
    children.push(child);
    const members = await waitFor('the leader, the escaped shell and its child', () => cgroup.members(), (pids) => pids.length === 3);
    expect(members).toContain(child.pid);
    expectInEveryController(cgroup, members);

    await stopEveryMember(cgroup, 1000);
    for (const pid of members) expect(procState(pid), `member ${pid} after a stop`).toBe('T');
    await cgroup.freeze();
    expect(readFileSync(join(cgroup.path, tracking.mode === 'cgroup-v2' ? 'cgroup.events' : 'freezer.state'), 'latin1')).toMatch(/FROZEN|frozen 1/);
    await cgroup.thaw();

    cgroup.kill('SIGKILL');
    await waitFor('the cgroup to be empty', () => cgroup.members(), (pids) => pids.length === 0);
    for (const pid of members) expect(isAlive(pid), `member ${pid} after SIGKILL`).toBe(false);
    expect(cgroup.oomKilled()).toBe(false);
    expect(cgroup.remove()).toBe(true);
  });
});

/** On v1: in the job's own memory cgroup, and in its partition's cpu, cpuacct and pids cgroups (those mounted here). */
function expectInEveryController(cgroup: JobCgroup, members: number[]): void {
  // On v2 there is one hierarchy: the members were read from the job's own cgroup.procs already.
  if (tracking.mode !== 'cgroup-v1') return;
  const jobDir = cgroup.path.slice(cgroup.path.indexOf(`sigma-${nodeId}/`) + `sigma-${nodeId}/`.length);
  for (const controller of ['cpu', 'cpuacct', 'memory', 'pids'].filter((name) => ownV1Path(name) !== null)) {
    const procs = join(dirIn(controller, controller === 'memory' ? jobDir : dirname(jobDir)), 'cgroup.procs');
    const listed = readFileSync(procs, 'latin1').trim().split('\n').map(Number);
    expect(listed, `members in ${procs}`).toEqual(expect.arrayContaining(members));
  }
}
