// Job cgroups on the unified hierarchy (cgroup v2): freezing with cgroup.freeze, killing with
// cgroup.kill (Linux 5.14+; before it, SIGKILL to every member, repeated by the caller).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  countsOomKill,
  jobDirsBelow,
  liveMembers,
  makeDir,
  partitionDirName,
  readControl,
  removeDir,
  removeParentDir,
  listsDaemon,
  signalEach,
  waitUntil,
  withFreeName,
  writeControl,
  PlanFlag,
  type CgroupPlanEntry,
  type CgroupSignal,
  type JobCgroup,
  type JobCgroups,
  type JobTracking,
} from './jobCgroups.js';

/** Upper bound on waiting for cgroup.events to show the frozen state asked for. */
const FREEZE_SETTLE_MS = 1000;

export class V2JobCgroups implements JobCgroups {
  readonly tracking: JobTracking;

  /**
   * ownPath: the daemon's cgroup directory; parentPath: its child made for this daemon's jobs;
   * controllers: those the parent hands to the partitions, which hand them on to their jobs.
   */
  constructor(
    private readonly ownPath: string,
    private readonly parentPath: string,
    /** Makes a partition's cgroup again, with its limits, when it is found gone. */
    private readonly restorePartition: (partition: string) => void,
  ) {
    this.tracking = { mode: 'cgroup-v2', parentPath, reason: `unified hierarchy: job cgroups below ${parentPath}` };
  }

  create(jobKey: string, partition: string): JobCgroup {
    const partitionPath = join(this.parentPath, partitionDirName(partition));
    const makeJobDir = (): JobCgroup =>
      withFreeName(jobKey, (name) => {
        const path = join(partitionPath, name);
        mkdirSync(path);
        return new V2JobCgroup(path, this.ownPath);
      });
    try {
      return makeJobDir();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // The partition's cgroup is made when its limits are written; gone since (removed from
      // outside), made again with them: a job never runs in a partition's cgroup without its limits.
      this.restorePartition(partition);
      return makeJobDir();
    }
  }

  plan(jobKey: string, partition: string, limitsTasks: boolean): { readonly name: string; readonly entries: readonly CgroupPlanEntry[] } {
    const path = join(this.parentPath, partitionDirName(partition));
    const flags = PlanFlag.CREATE | PlanFlag.ENTER | PlanFlag.MEMBERS | PlanFlag.OOM_V2 | PlanFlag.V2 | (limitsTasks ? PlanFlag.TASK_LIMIT : 0);
    return { name: jobKey, entries: [{ path, home: this.ownPath, flags }] };
  }

  ensurePartition(partition: string): void {
    this.restorePartition(partition);
  }

  leftovers(): JobCgroup[] {
    return jobDirsBelow(this.parentPath).map((jobDir) => new V2JobCgroup(join(this.parentPath, jobDir), this.ownPath));
  }

  removeParent(): boolean {
    return removeParentDir(this.parentPath);
  }
}

/**
 * Makes (or keeps) a partition's cgroup, handing its controllers on to its jobs' cgroups (for
 * their own memory.events: which job the OOM killer hit). A partition has no process of its
 * own, so the kernel allows it.
 */
export function makeV2Partition(parentPath: string, partition: string, controllers: readonly string[]): string {
  const path = join(parentPath, partitionDirName(partition));
  makeDir(path);
  if (controllers.length > 0) writeControl(join(path, 'cgroup.subtree_control'), controllers.map((name) => `+${name}`).join(' '));
  return path;
}

class V2JobCgroup implements JobCgroup {
  constructor(
    readonly path: string,
    private readonly daemonPath: string,
  ) {}

  spawnInside<T>(spawnChild: () => T): T {
    // v2 moves whole processes only: the daemon goes in for the fork and straight back. Its
    // memory charged meanwhile (the fork's page tables) counts against the partition's
    // memory.max: a partition at its limit can make the fork fail, or its OOM killer pick the
    // daemon. (v2 cannot move one thread, as v1 does, nor leave one controller out.)
    writeControl(join(this.path, 'cgroup.procs'), String(process.pid));
    try {
      return spawnChild();
    } finally {
      writeControl(join(this.daemonPath, 'cgroup.procs'), String(process.pid));
    }
  }

  freeze(): Promise<void> {
    return this.setFrozen(true);
  }

  thaw(): Promise<void> {
    return this.setFrozen(false);
  }

  members(): number[] {
    return liveMembers(join(this.path, 'cgroup.procs'));
  }

  kill(signal: CgroupSignal): void {
    const killFile = join(this.path, 'cgroup.kill');
    // Never while the daemon is inside (a spawn whose way back out failed): cgroup.kill would end it too.
    if (signal === 'SIGKILL' && existsSync(killFile) && !listsDaemon(join(this.path, 'cgroup.procs'))) {
      try {
        writeControl(killFile, '1');
        return;
      } catch {
        // Gone, or refused: fall back to the members one by one.
      }
    }
    signalEach(this.members(), signal);
  }

  oomKilled(): boolean {
    return countsOomKill(join(this.path, 'memory.events'));
  }

  remove(): boolean {
    return removeDir(this.path);
  }

  private async setFrozen(frozen: boolean): Promise<void> {
    try {
      writeControl(join(this.path, 'cgroup.freeze'), frozen ? '1' : '0');
    } catch {
      return; // The cgroup is gone with its job.
    }
    const wanted = `frozen ${frozen ? 1 : 0}`;
    await waitUntil(() => (readControl(join(this.path, 'cgroup.events')) ?? wanted).split('\n').includes(wanted), FREEZE_SETTLE_MS);
  }
}
