// A cgroup per job, inside its partition's, below the daemon's own: what the launcher needs of
// it (born inside it, frozen, listed, signalled, removed), whatever the hierarchy (v2 or v1).
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProcStat } from './processGroup.js';

export type CgroupSignal = 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL';

/** One job's cgroup (in every controller used). */
export interface JobCgroup {
  /** The directory whose members and freezer are the job's (v2: the cgroup; v1: its freezer cgroup). */
  readonly path: string;
  /**
   * Runs `spawnChild` with the daemon's calling thread moved into the cgroup and back, so that
   * the child is born in it: nothing it forks can be outside it, not even for an instant.
   */
  spawnInside<T>(spawnChild: () => T): T;
  /** Resolves once every member is frozen, or after a bounded wait (a member stuck in the kernel). */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** The live members (never the daemon itself); empty once the cgroup is gone. */
  members(): number[];
  /** The signal to every member; SIGKILL through `cgroup.kill` where the kernel has it. */
  kill(signal: CgroupSignal): void;
  /** Whether the kernel's OOM killer has killed a member (false without a memory controller). */
  oomKilled(): boolean;
  /** Removes the cgroup in every controller; false while it still has members. */
  remove(): boolean;
}

export type JobTrackingMode = 'cgroup-v2' | 'cgroup-v1' | 'process-group';

/** How the daemon tracks its jobs, said once at start and shown by GET /node. */
export interface JobTracking {
  readonly mode: JobTrackingMode;
  /** The daemon's parent cgroup of its jobs (the tracking directory), null without cgroups. */
  readonly parentPath: string | null;
  /** Why this mode: what was found, or what stopped cgroups from being used. */
  readonly reason: string;
}

/**
 * One directory of a job's cgroup plan, for the launcher (docs/launcher.md): `flags` are the
 * launcher's cgroup flags (CREATE: the job's own directory is made in `path`; ENTER: the launcher
 * moves into it for the clone and back to `home`; CHILD_JOIN: the child joins it before exec;
 * MEMBERS: it lists the job's members and is the one frozen; OOM_V1/OOM_V2: it counts OOM kills;
 * V2: the unified hierarchy).
 */
export interface CgroupPlanEntry {
  readonly path: string;
  readonly home: string;
  readonly flags: number;
}

/**
 * The daemon's jobs' cgroups: one parent per daemon below its own cgroup, one child per
 * partition in it, one child per job in its partition's.
 */
export interface JobCgroups {
  readonly tracking: JobTracking;
  /** Where the launcher makes and puts a job of the partition (it makes the job's own directories itself). */
  plan(jobKey: string, partition: string, limitsTasks: boolean): { readonly name: string; readonly entries: readonly CgroupPlanEntry[] };
  /** Makes the partition's cgroup again, with its limits, if it was removed from outside. */
  ensurePartition(partition: string): void;
  /**
   * Makes the job's cgroup inside the partition's (made if missing); its name starts with jobKey
   * and is unique among the partition's children.
   */
  create(jobKey: string, partition: string): JobCgroup;
  /** The job cgroups already below the parent (left by a daemon of this node that died). */
  leftovers(): JobCgroup[];
  /** Removes the partitions' cgroups, then the parent; false if a job cgroup is still in one. */
  removeParent(): boolean;
}

const PARTITION_PREFIX = 'partition-';

/** The launcher's cgroup flags (native/launcher/protocol.h, `enum cgroup_flag`). */
export const PlanFlag = {
  CREATE: 1 << 0,
  ENTER: 1 << 1,
  CHILD_JOIN: 1 << 2,
  MEMBERS: 1 << 3,
  OOM_V1: 1 << 4,
  OOM_V2: 1 << 5,
  V2: 1 << 6,
  TASK_LIMIT: 1 << 7,
} as const;

/** The directory of a partition's cgroup below the parent. */
export function partitionDirName(partition: string): string {
  return `${PARTITION_PREFIX}${partition}`;
}

/**
 * Where the job cgroups below a parent are, relative to it: those inside partitions, and those
 * directly in the parent, as daemons before partitions made them.
 */
export function jobDirsBelow(parentPath: string): string[] {
  const jobDirs: string[] = [];
  for (const name of childDirs(parentPath)) {
    if (!name.startsWith(PARTITION_PREFIX)) jobDirs.push(name);
    else for (const job of childDirs(`${parentPath}/${name}`)) jobDirs.push(`${name}/${job}`);
  }
  return jobDirs;
}

/** Removes the partitions' cgroups below a parent (empty ones only), then the parent. */
export function removeParentDir(parentPath: string): boolean {
  const partitions = childDirs(parentPath).filter((name) => name.startsWith(PARTITION_PREFIX));
  const removed = partitions.map((name) => removeDir(`${parentPath}/${name}`));
  return removeDir(parentPath) && removed.every(Boolean);
}

/** mkdir that treats "already there" as done. */
export function makeDir(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Whether a cgroup's OOM counter (`oom_kill N` in memory.events or memory.oom_control) is above 0. */
export function countsOomKill(counterPath: string): boolean {
  const line = (readControl(counterPath) ?? '').split('\n').find((entry) => entry.startsWith('oom_kill '));
  return line !== undefined && Number(line.slice('oom_kill '.length)) > 0;
}

/** The pids listed in a cgroup.procs file; empty if it is gone. */
export function readPids(procsPath: string): number[] {
  let text: string;
  try {
    text = readFileSync(procsPath, 'latin1');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const line of text.split('\n')) {
    const pid = Number(line);
    if (line !== '' && Number.isInteger(pid) && pid !== process.pid) pids.push(pid);
  }
  return pids;
}

/** Whether the daemon itself is listed (it is, only for the instant of a spawn). */
export function listsDaemon(procsPath: string): boolean {
  return (readControl(procsPath) ?? '').split('\n').includes(String(process.pid));
}

/** Without zombies: a cgroup may list a dying process until it is reaped. */
export function liveMembers(procsPath: string): number[] {
  return readPids(procsPath).filter((pid) => {
    const state = readProcStat(pid)?.state;
    return state !== undefined && state !== 'Z' && state !== 'X';
  });
}

export function signalEach(pids: readonly number[], signal: CgroupSignal): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone in between, or not ours to signal: the job then ends late or is given up on.
    }
  }
}

export function writeControl(path: string, value: string): void {
  writeFileSync(path, value);
}

export function readControl(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** rmdir that treats "already gone" as done; false while the cgroup is busy. */
export function removeDir(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** The child directories of a parent cgroup (its own control files are plain files). */
export function childDirs(parentPath: string): string[] {
  try {
    return readdirSync(parentPath, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

const POLL_MS = 2;

/** Waits (bounded) until `done` holds; answers whether it did. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (performance.now() >= deadlineMs) return false;
    await sleep(POLL_MS);
  }
}

/**
 * Makes `<parent>/<jobKey>` (then `<jobKey>.2`, ... if a cgroup of that name is left over) with
 * `make`, which throws EEXIST when the name is taken.
 */
export function withFreeName<T>(jobKey: string, make: (name: string) => T): T {
  for (let attempt = 1; ; attempt += 1) {
    const name = attempt === 1 ? jobKey : `${jobKey}.${attempt}`;
    try {
      return make(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}

/**
 * Stops every member with SIGSTOP, including those that left the job's process group. The cgroup
 * is frozen meanwhile, so nothing can fork past the signal; thawed, each member acts on it at
 * once and shows `T` in /proc, as a job stopped through its group does.
 */
export async function stopEveryMember(cgroup: JobCgroup, settleMs: number): Promise<void> {
  await cgroup.freeze();
  cgroup.kill('SIGSTOP');
  await cgroup.thaw();
  await waitUntil(() => cgroup.members().every(isStoppedOrGone), settleMs);
}

function isStoppedOrGone(pid: number): boolean {
  const state = readProcStat(pid)?.state;
  return state === undefined || state === 'T' || state === 'Z' || state === 'X';
}
