// The job cgroup adapters on their own, on every hierarchy this machine has: the one the daemon
// uses here, and a unified (v2) one where it is mounted too (a hybrid host's
// /sys/fs/cgroup/unified), so that the v2 code runs for real on a v1 host.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { detectJobCgroups } from '../../src/runtime/cgroupDetection.js';
import { stopEveryMember, type JobCgroups } from '../../src/runtime/jobCgroups.js';
import { endLeftoverJobCgroups } from '../../src/runtime/leftoverJobCgroups.js';
import { isAlive, procState } from '../support/osProcesses.js';
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
  const { cgroups, tracking } = detectJobCgroups({ nodeId: `adapter-test-${process.pid}-${made.length}`, ...(root ? { root } : {}) });
  if (!cgroups) {
    console.warn(`cgroupAdapters.test.ts: ${root ?? 'default hierarchy'} skipped: ${tracking.reason}`);
    context.skip(tracking.reason);
  }
  made.push(cgroups);
  return cgroups;
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
