// Job cgroups on the unified hierarchy (cgroup v2): freezing with cgroup.freeze, killing with
// cgroup.kill (Linux 5.14+; before it, SIGKILL to every member, repeated by the caller).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  childDirs,
  liveMembers,
  readControl,
  removeDir,
  listsDaemon,
  signalEach,
  waitUntil,
  withFreeName,
  writeControl,
  type CgroupSignal,
  type JobCgroup,
  type JobCgroups,
  type JobTracking,
} from './jobCgroups.js';

/** Upper bound on waiting for cgroup.events to show the frozen state asked for. */
const FREEZE_SETTLE_MS = 1000;

export class V2JobCgroups implements JobCgroups {
  readonly tracking: JobTracking;

  /** ownPath: the daemon's cgroup directory; parentPath: its child made for this daemon's jobs. */
  constructor(
    private readonly ownPath: string,
    private readonly parentPath: string,
  ) {
    this.tracking = { mode: 'cgroup-v2', parentPath, reason: `unified hierarchy: job cgroups below ${parentPath}` };
  }

  create(jobKey: string): JobCgroup {
    return withFreeName(jobKey, (name) => {
      const path = join(this.parentPath, name);
      mkdirSync(path);
      return new V2JobCgroup(path, this.ownPath);
    });
  }

  leftovers(): JobCgroup[] {
    return childDirs(this.parentPath).map((name) => new V2JobCgroup(join(this.parentPath, name), this.ownPath));
  }

  removeParent(): boolean {
    return removeDir(this.parentPath);
  }
}

class V2JobCgroup implements JobCgroup {
  constructor(
    readonly path: string,
    private readonly daemonPath: string,
  ) {}

  spawnInside<T>(spawnChild: () => T): T {
    // v2 moves whole processes only: the daemon goes in for the fork and straight back.
    writeControl(join(this.path, 'cgroup.procs'), String(process.pid));
    try {
      return spawnChild();
    } finally {
      writeControl(join(this.daemonPath, 'cgroup.procs'), String(process.pid));
    }
  }

  addPid(pid: number): void {
    writeControl(join(this.path, 'cgroup.procs'), String(pid));
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
