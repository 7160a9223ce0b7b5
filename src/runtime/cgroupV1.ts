// Job cgroups on a legacy (or hybrid) hierarchy, cgroup v1: one directory per controller used.
// The freezer's directory is the job's: it lists the members and freezes them (freezer.state).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  childDirs,
  liveMembers,
  readControl,
  removeDir,
  signalEach,
  waitUntil,
  withFreeName,
  writeControl,
  type CgroupSignal,
  type JobCgroup,
  type JobCgroups,
  type JobTracking,
} from './jobCgroups.js';

/** A controller's directory of the daemon's own cgroup, and its child for this daemon's jobs. */
export interface V1Controller {
  readonly name: string;
  readonly ownPath: string;
  readonly parentPath: string;
}

const FREEZE_SETTLE_MS = 1000;

export class V1JobCgroups implements JobCgroups {
  readonly tracking: JobTracking;

  /** controllers: the freezer first (it tracks the members), then any other controller used. */
  constructor(private readonly controllers: readonly V1Controller[]) {
    const freezer = controllers[0] as V1Controller;
    const names = controllers.map((controller) => controller.name).join(', ');
    this.tracking = { mode: 'cgroup-v1', parentPath: freezer.parentPath, reason: `legacy hierarchy (${names}): job cgroups below ${freezer.parentPath}` };
  }

  create(jobKey: string): JobCgroup {
    return withFreeName(jobKey, (name) => {
      const made: string[] = [];
      try {
        for (const controller of this.controllers) {
          const path = join(controller.parentPath, name);
          mkdirSync(path);
          made.push(path);
        }
      } catch (error) {
        for (const path of made) removeDir(path);
        throw error;
      }
      return new V1JobCgroup(this.controllers, name);
    });
  }

  leftovers(): JobCgroup[] {
    const freezer = this.controllers[0] as V1Controller;
    return childDirs(freezer.parentPath).map((name) => new V1JobCgroup(this.controllers, name));
  }

  removeParent(): boolean {
    return this.controllers.map((controller) => removeDir(controller.parentPath)).every(Boolean);
  }
}

class V1JobCgroup implements JobCgroup {
  readonly path: string;
  private readonly paths: readonly string[];

  constructor(
    private readonly controllers: readonly V1Controller[],
    name: string,
  ) {
    this.paths = controllers.map((controller) => join(controller.parentPath, name));
    this.path = this.paths[0] as string;
  }

  spawnInside<T>(spawnChild: () => T): T {
    // v1 moves single threads (`tasks`): only the thread that forks goes in, and straight back.
    // JavaScript runs on the main thread, whose thread id is the process id.
    const tid = String(process.pid);
    for (const path of this.paths) writeControl(join(path, 'tasks'), tid);
    try {
      return spawnChild();
    } finally {
      for (const controller of this.controllers) writeControl(join(controller.ownPath, 'tasks'), tid);
    }
  }

  addPid(pid: number): void {
    for (const path of this.paths) writeControl(join(path, 'cgroup.procs'), String(pid));
  }

  freeze(): Promise<void> {
    return this.setState('FROZEN');
  }

  thaw(): Promise<void> {
    return this.setState('THAWED');
  }

  members(): number[] {
    return liveMembers(join(this.path, 'cgroup.procs'));
  }

  kill(signal: CgroupSignal): void {
    // No cgroup.kill in v1: a member forking meanwhile is caught by the caller's next round.
    signalEach(this.members(), signal);
  }

  remove(): boolean {
    // The freezer last: while it is there, a later sweep still finds the job.
    return [...this.paths].reverse().map(removeDir).every(Boolean);
  }

  private async setState(state: 'FROZEN' | 'THAWED'): Promise<void> {
    const stateFile = join(this.path, 'freezer.state');
    try {
      writeControl(stateFile, state);
    } catch {
      return; // The cgroup is gone with its job.
    }
    // FREEZING lasts while a member cannot be frozen yet (asleep in the kernel, uninterruptibly).
    await waitUntil(() => (readControl(stateFile) ?? state).trim() === state, FREEZE_SETTLE_MS);
  }
}
