// The job cgroup adapters on their own, on every hierarchy this machine has: the one the daemon
// uses here, and a unified (v2) one where it is mounted too (a hybrid host's
// /sys/fs/cgroup/unified), so that the v2 code runs for real on a v1 host.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { detectJobCgroups } from '../../src/runtime/cgroupDetection.js';
import { stopEveryMember, type JobCgroups } from '../../src/runtime/jobCgroups.js';
import { endLeftoverJobCgroups } from '../../src/runtime/leftoverJobCgroups.js';
import { CGROUP_LIMITS, type PartitionCgroups } from '../../src/runtime/partitionLimits.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { ownV1Path } from '../support/ownCgroups.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { waitFor } from '../support/waitFor.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

const made: JobCgroups[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cgroups of made.splice(0)) {
    await endLeftoverJobCgroups(cgroups, 0);
    cgroups.removeParent();
  }
});

function unifiedRoots(): string[] {
  return ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].filter((root) => existsSync(root) && statfsSync(root).type === CGROUP2_SUPER_MAGIC);
}

function detect(context: TestContext, root?: string): JobCgroups {
  return detectBoth(context, root).cgroups;
}

function detectBoth(context: TestContext, root?: string): { cgroups: JobCgroups; partitions: PartitionCgroups; nodeId: string } {
  const nodeId = `adapter-test-${process.pid}-${made.length}`;
  const detection = detectJobCgroups({ nodeId, ...(root ? { root } : {}) });
  if (!detection.cgroups) {
    const why = `${root ?? 'the default hierarchy'}: ${detection.tracking.reason}`;
    // The hierarchy the daemon uses must work where cgroups are required; a hybrid host's extra
    // unified one may have no controllers to give.
    if (root === undefined) skipOrFail(context, 'cgroups', why);
    console.warn(`cgroupAdapters.test.ts skipped: ${why}`);
    context.skip(why);
  }
  made.push(detection.cgroups);
  return { cgroups: detection.cgroups, partitions: detection.partitions, nodeId };
}

/** A control file of a partition's cgroup, read from the kernel. */
function limitFile(cgroups: JobCgroups, nodeId: string, partition: string, controller: string, name: string): string {
  const parent = cgroups.tracking.mode === 'cgroup-v2' ? (cgroups.tracking.parentPath as string) : join(ownV1Path(controller) as string, `sigma-${nodeId}`);
  return readFileSync(join(parent, `partition-${partition}`, name), 'latin1').trim();
}

/** What the kernel holds for each limit of the partition, read from its control files. */
function heldLimits(cgroups: JobCgroups, nodeId: string, partition: string, held: readonly string[]): Record<string, number | null> {
  const v2 = cgroups.tracking.mode === 'cgroup-v2';
  const read = (controller: string, v1Name: string, v2Name: string): string => limitFile(cgroups, nodeId, partition, controller, v2 ? v2Name : v1Name);
  const number = (text: string): number | null => (text === 'max' || text === '-1' || Number(text) > 2 ** 62 ? null : Number(text));
  const readers: Record<string, () => number | null> = {
    cpu: () => {
      const [quota, period] = v2 ? read('cpu', '', 'cpu.max').split(' ') : [read('cpu', 'cpu.cfs_quota_us', ''), read('cpu', 'cpu.cfs_period_us', '')];
      const quotaUs = number(quota ?? '');
      return quotaUs === null ? null : quotaUs / Number(period);
    },
    memoryBytes: () => number(read('memory', 'memory.limit_in_bytes', 'memory.max')),
    pids: () => number(read('pids', 'pids.max', 'pids.max')),
  };
  return Object.fromEntries(held.map((limit) => [limit, (readers[limit] as () => number | null)()]));
}

/** A job whose shell puts `sleep 300` in a session of its own, then becomes `sleep 300` itself. */
function spawnEscaper(cgroups: JobCgroups): { leader: number; cgroup: ReturnType<JobCgroups['create']> } {
  const cgroup = cgroups.create('job', 'lab');
  const child = cgroup.spawnInside(() => spawn('sh', ['-c', 'setsid sleep 300 & exec sleep 300'], { detached: true, stdio: 'ignore' }));
  children.push(child);
  return { leader: child.pid as number, cgroup };
}

const hierarchies = [{ name: 'the hierarchy the daemon uses here', root: undefined as string | undefined }, ...unifiedRoots().map((root) => ({ name: `the unified hierarchy at ${root}`, root }))];

describe.each(hierarchies)('job cgroups on $name', ({ root }) => {
  it('a child spawned inside is born in the job cgroup, the daemon stays where it was, and nothing escapes SUSPEND or SIGKILL', async (context) => {
    const cgroups = detect(context, root);
    if (root) expect(cgroups.tracking.mode).toBe('cgroup-v2');
    const { leader, cgroup } = spawnEscaper(cgroups);
    const members = await waitFor('the leader and its escaped child in the cgroup', () => cgroup.members(), (pids) => pids.length === 2);
    expect(members).toContain(leader);
    expect(members).not.toContain(process.pid);

    await stopEveryMember(cgroup, 1000);
    for (const pid of members) expect(procState(pid), `member ${pid} after stopEveryMember`).toBe('T');
    cgroup.kill('SIGCONT');
    await waitFor('every member to run again', () => members.map(procState), (states) => states.every((state) => state !== 'T'));

    cgroup.kill('SIGKILL');
    await waitFor('the cgroup to be empty', () => cgroup.members(), (pids) => pids.length === 0);
    for (const pid of members) expect(isAlive(pid), `member ${pid}`).toBe(false);
    expect(cgroup.remove()).toBe(true);
    expect(existsSync(cgroup.path)).toBe(false);
    expect(cgroups.removeParent()).toBe(true);
  });

  it('leftovers in a partition and in the flat layout of earlier daemons are swept; the parent goes with its partitions\' cgroups', async (context) => {
    const cgroups = detect(context, root);
    const { cgroup } = spawnEscaper(cgroups);
    expect(cgroup.path).toBe(join(cgroups.tracking.parentPath as string, 'partition-lab', 'job'));
    // A job cgroup directly below the parent, as a daemon before partitions made it.
    const flat = join(cgroups.tracking.parentPath as string, 'process-9');
    mkdirSync(flat);
    const old = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    children.push(old);
    writeFileSync(join(flat, 'cgroup.procs'), String(old.pid));
    await waitFor('two members in the partition\'s job cgroup', () => cgroup.members(), (pids) => pids.length === 2);

    const sweep = await endLeftoverJobCgroups(cgroups, 200);
    expect(sweep).toMatchObject({ found: 2, left: [] });
    expect(sweep.pids).toContain(old.pid);
    expect(isAlive(old.pid as number)).toBe(false);
    expect(existsSync(flat)).toBe(false);
    expect(existsSync(cgroup.path)).toBe(false);
    expect(existsSync(join(cgroups.tracking.parentPath as string, 'partition-lab')), 'the partition\'s cgroup is kept').toBe(true);
    expect(cgroups.removeParent()).toBe(true);
    expect(existsSync(cgroups.tracking.parentPath as string)).toBe(false);
  });

  it('holds each limit its support allows, and answers every other set limit with the reason', async (context) => {
    const { cgroups, partitions, nodeId } = detectBoth(context, root);
    const limits = { cpu: 0.5, memoryBytes: 256 * 1024 * 1024, pids: 64 };
    const expected = CGROUP_LIMITS.flatMap((limit) => {
      const reason = partitions.support[limit];
      return reason === null ? [] : [{ limit, reason }];
    });
    const held = CGROUP_LIMITS.filter((limit) => partitions.support[limit] === null);
    const wanted = (set: typeof limits) => Object.fromEntries(held.map((limit) => [limit, set[limit]]));
    console.info(`cgroupAdapters.test.ts: ${root ?? 'default hierarchy'}: ${JSON.stringify(partitions.support)}`);
    expect(partitions.apply('lab', limits)).toEqual(expected);
    expect(heldLimits(cgroups, nodeId, 'lab', held), 'the limits in the control files').toEqual(wanted(limits));
    // v1 keeps memory+swap at or above memory at every step: raising and lowering take opposite orders.
    const raised = { ...limits, memoryBytes: limits.memoryBytes * 2 };
    expect(partitions.apply('lab', raised)).toEqual(expected);
    expect(heldLimits(cgroups, nodeId, 'lab', held), 'the limits in the control files, memory raised').toEqual(wanted(raised));
    const lowered = { ...limits, memoryBytes: limits.memoryBytes / 2 };
    expect(partitions.apply('lab', lowered)).toEqual(expected);
    expect(heldLimits(cgroups, nodeId, 'lab', held), 'the limits in the control files, memory lowered').toEqual(wanted(lowered));
    expect(partitions.apply('lab', { cpu: null, memoryBytes: null, pids: null })).toEqual([]);
    expect(heldLimits(cgroups, nodeId, 'lab', held), 'the limits in the control files, lifted').toEqual(Object.fromEntries(held.map((limit) => [limit, null])));
    const usage = partitions.usage('lab');
    // No job ran in it: no task counted; where pids is not held, nothing read at all.
    expect(usage.pids).toBe(partitions.support.pids === null ? 0 : null);
    expect(partitions.remove('lab')).toBe(true);
    expect(existsSync(join(cgroups.tracking.parentPath as string, 'partition-lab'))).toBe(false);
  });

  it('leftover job cgroups, a frozen one too, are emptied and removed', async (context) => {
    const cgroups = detect(context, root);
    const { cgroup } = spawnEscaper(cgroups);
    const members = await waitFor('two members', () => cgroup.members(), (pids) => pids.length === 2);
    await cgroup.freeze();
    expect(cgroups.leftovers().map((leftover) => leftover.path)).toEqual([cgroup.path]);
    const sweep = await endLeftoverJobCgroups(cgroups, 200);
    expect(sweep).toMatchObject({ found: 1, left: [] });
    expect([...sweep.pids].sort()).toEqual([...members].sort());
    for (const pid of members) expect(isAlive(pid), `member ${pid} after the sweep`).toBe(false);
    expect(existsSync(cgroup.path)).toBe(false);
  });
});
