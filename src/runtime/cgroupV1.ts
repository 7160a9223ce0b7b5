// Job cgroups on a legacy (or hybrid) hierarchy, cgroup v1: a hierarchy per controller. A job
// has a directory of its own where it must be told apart from its partition's other jobs: the
// freezer (its members; freezing them) and memory (its OOM kills). In cpu, cpuacct and pids it
// joins its partition's directory, whose limits and accounting are the partition's anyway: fewer
// directories to make and remove at every start (about 0.4 ms each time on this project's machines).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  countsOomKill,
  jobDirsBelow,
  liveMembers,
  partitionDirName,
  readControl,
  readPids,
  removeDir,
  removeParentDir,
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

export type V1ControllerName = 'freezer' | 'cpu' | 'cpuacct' | 'memory' | 'pids';

/** A controller's directory of the daemon's own cgroup, and its child for this daemon's jobs. */
export interface V1Controller {
  readonly name: V1ControllerName;
  readonly ownPath: string;
  readonly parentPath: string;
}

/** The controllers in which a job has a directory of its own. */
const OWN_DIR_CONTROLLERS: ReadonlySet<V1ControllerName> = new Set(['freezer', 'memory']);

const FREEZE_SETTLE_MS = 1000;
/** Rounds of moving a job's members into its memory cgroup, against members that fork meanwhile. */
const MEMORY_ADOPTION_ROUNDS = 20;

export class V1JobCgroups implements JobCgroups {
  readonly tracking: JobTracking;

  /** controllers: the freezer first (it tracks the members), then any other controller used. */
  constructor(
    private readonly controllers: readonly V1Controller[],
    /** Makes a partition's directories again, with its limits, when they are found gone. */
    private readonly restorePartition: (partition: string) => void,
  ) {
    const freezer = controllers[0] as V1Controller;
    const names = controllers.map((controller) => controller.name).join(', ');
    this.tracking = { mode: 'cgroup-v1', parentPath: freezer.parentPath, reason: `legacy hierarchy (${names}): job cgroups below ${freezer.parentPath}` };
  }

  create(jobKey: string, partition: string): JobCgroup {
    const partitionDir = partitionDirName(partition);
    try {
      return this.createIn(partitionDir, jobKey);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // The partition's directories are made when its limits are written; gone since (removed from
      // outside), made again with them: a job never runs in a partition's cgroup without its limits.
      this.restorePartition(partition);
      return this.createIn(partitionDir, jobKey);
    }
  }

  private createIn(partitionDir: string, jobKey: string): JobCgroup {
    return withFreeName(jobKey, (name) => {
      const made: string[] = [];
      try {
        for (const controller of this.controllers) {
          if (!OWN_DIR_CONTROLLERS.has(controller.name)) continue;
          const path = join(controller.parentPath, partitionDir, name);
          mkdirSync(path);
          made.push(path);
        }
      } catch (error) {
        for (const path of made) removeDir(path);
        throw error;
      }
      return new V1JobCgroup(this.controllers, join(partitionDir, name));
    });
  }

  plan(jobKey: string, partition: string, limitsTasks: boolean): { readonly name: string; readonly entries: readonly CgroupPlanEntry[] } {
    const partitionDir = partitionDirName(partition);
    // The freezer's first: its directory lists the job's members.
    const entries = this.controllers.map((controller): CgroupPlanEntry => {
      const path = join(controller.parentPath, partitionDir);
      switch (controller.name) {
        case 'freezer':
          return { path, home: controller.ownPath, flags: PlanFlag.CREATE | PlanFlag.ENTER | PlanFlag.MEMBERS };
        case 'memory':
          return { path, home: '', flags: PlanFlag.CREATE | PlanFlag.CHILD_JOIN | PlanFlag.OOM_V1 };
        case 'pids':
          return { path, home: controller.ownPath, flags: PlanFlag.ENTER | (limitsTasks ? PlanFlag.TASK_LIMIT : 0) };
        default:
          return { path, home: controller.ownPath, flags: PlanFlag.ENTER };
      }
    });
    return { name: jobKey, entries };
  }

  ensurePartition(partition: string): void {
    this.restorePartition(partition);
  }

  leftovers(): JobCgroup[] {
    const freezer = this.controllers[0] as V1Controller;
    return jobDirsBelow(freezer.parentPath).map((jobDir) => new V1JobCgroup(this.controllers, jobDir));
  }

  removeParent(): boolean {
    return this.controllers.map((controller) => removeParentDir(controller.parentPath)).every(Boolean);
  }
}

class V1JobCgroup implements JobCgroup {
  readonly path: string;
  /** The job's own directories: the freezer's (its members), then memory's. */
  private readonly paths: readonly string[];
  /** Where the daemon's thread goes for a spawn (the job's own directory, or its partition's): every controller but memory. */
  private readonly entered: readonly { readonly path: string; readonly ownPath: string }[];
  private readonly memoryPath: string | null;

  /** jobDir: the job's directory below the parent (`partition-<name>/<job>`), the same in every controller. */
  constructor(controllers: readonly V1Controller[], jobDir: string) {
    const pathIn = (controller: V1Controller): string =>
      join(controller.parentPath, OWN_DIR_CONTROLLERS.has(controller.name) ? jobDir : dirname(jobDir));
    this.paths = controllers.filter((controller) => OWN_DIR_CONTROLLERS.has(controller.name)).map(pathIn);
    this.path = this.paths[0] as string;
    this.entered = controllers
      .filter((controller) => controller.name !== 'memory')
      .map((controller) => ({ path: pathIn(controller), ownPath: controller.ownPath }));
    const memory = controllers.find((controller) => controller.name === 'memory');
    this.memoryPath = memory ? join(memory.parentPath, jobDir) : null;
  }

  spawnInside<T>(spawnChild: () => T): T {
    // v1 moves single threads (`tasks`): only the thread that forks goes in, and straight back.
    // JavaScript runs on the main thread, whose thread id is the process id.
    const tid = String(process.pid);
    const result = this.withThreadInside(tid, spawnChild);
    // Not the memory cgroup: the main thread owns the daemon's memory (mm->owner), so inside a
    // job's memory cgroup the daemon's own allocations would be charged to the partition, and the
    // partition's OOM killer could pick the daemon. The child is moved there once it exists.
    this.adoptIntoMemory();
    return result;
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

  oomKilled(): boolean {
    return this.memoryPath !== null && countsOomKill(join(this.memoryPath, 'memory.oom_control'));
  }

  remove(): boolean {
    // The freezer last: while it is there, a later sweep still finds the job.
    return [...this.paths].reverse().map(removeDir).every(Boolean);
  }

  private withThreadInside<T>(tid: string, run: () => T): T {
    const entered: string[] = [];
    try {
      for (const { path } of this.entered) {
        writeControl(join(path, 'tasks'), tid);
        entered.push(path);
      }
      return run();
    } finally {
      // Back out of each one entered (even when a later one refused the thread), the first failure told.
      const failures: unknown[] = [];
      for (const { path, ownPath } of this.entered) {
        if (!entered.includes(path)) continue;
        try {
          writeControl(join(ownPath, 'tasks'), tid);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
    }
  }

  /**
   * Moves every member (born in the freezer's cgroup) into the job's memory cgroup. A member that
   * forked before it was moved left its child behind: each round moves those, until one finds
   * every member in place.
   */
  private adoptIntoMemory(): void {
    if (this.memoryPath === null) return;
    const memoryProcs = join(this.memoryPath, 'cgroup.procs');
    for (let round = 0; round < MEMORY_ADOPTION_ROUNDS; round += 1) {
      const inMemory = new Set(readPids(memoryProcs));
      const outside = liveMembers(join(this.path, 'cgroup.procs')).filter((pid) => !inMemory.has(pid));
      if (outside.length === 0) return;
      for (const pid of outside) {
        try {
          writeControl(memoryProcs, String(pid));
        } catch {
          // Gone in between: nothing left to charge.
        }
      }
    }
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
