// At boot: the job cgroups a daemon of this node left when it died (SIGKILL, power cut) are
// emptied and removed. What is in them escaped every other way of finding it: it left its
// job's process group and, maybe, dropped the mark from its environment.
import { waitUntil, type JobCgroup, type JobCgroups } from './jobCgroups.js';

/** After SIGKILL, how long members may take to go before their cgroup is reported as left. */
const KILL_WAIT_MS = 5000;

export interface LeftoverSweep {
  /** Job cgroups found. */
  readonly found: number;
  /** Processes that were in them. */
  readonly pids: readonly number[];
  /** Cgroups that could not be emptied and removed. */
  readonly left: readonly string[];
}

/** SIGTERM (after a thaw) to every member, SIGKILL after graceMs until the cgroup is empty, then rmdir. */
export async function endLeftoverJobCgroups(cgroups: JobCgroups, graceMs: number): Promise<LeftoverSweep> {
  return endJobCgroups(cgroups.leftovers(), graceMs);
}

/** The same for cgroups listed earlier (at boot, before the daemon started any job of its own). */
export async function endJobCgroups(leftovers: readonly JobCgroup[], graceMs: number): Promise<LeftoverSweep> {
  const pids: number[] = [];
  const left: string[] = [];
  for (const cgroup of leftovers) {
    // Frozen if its daemon died in the middle of a SUSPEND.
    await cgroup.thaw();
    const members = cgroup.members();
    pids.push(...members);
    if (members.length > 0) {
      cgroup.kill('SIGTERM');
      cgroup.kill('SIGCONT');
      const empty = () => cgroup.members().length === 0;
      if (!(await waitUntil(empty, graceMs))) {
        await waitUntil(() => {
          cgroup.kill('SIGKILL');
          return empty();
        }, KILL_WAIT_MS);
      }
    }
    if (!cgroup.remove()) left.push(cgroup.path);
  }
  return { found: leftovers.length, pids, left };
}
