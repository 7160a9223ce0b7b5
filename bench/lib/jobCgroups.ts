// What a daemon killed outright (and its launcher) leaves in the cgroup tree: its parent of
// partition and job cgroups, as GET /node shows it, with what is in them, in every v1 controller
// it used. Removed at the end of each section, so that bench runs do not litter the machine.
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The controllers (besides the freezer, whose parent the daemon shows) a daemon makes cgroups in. */
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'];

/** parentPath: the daemon's parent cgroup of its jobs (v2's, or v1's freezer one). */
export async function removeJobCgroups(parentPath: string): Promise<void> {
  await removeTree(parentPath);
  if (!parentPath.startsWith('/sys/fs/cgroup/freezer/')) return;
  // The daemon was started by the bench: its v1 cgroups are below the bench's own.
  for (const controller of V1_CONTROLLERS) {
    const own = ownV1Path(controller);
    if (own !== null) await removeTree(join(own, basename(parentPath)));
  }
}

/** Best effort, synchronous (on the bench's exit): whatever can be removed at once. */
export function removeJobCgroupsNow(parentPath: string): void {
  const paths = [parentPath];
  if (parentPath.startsWith('/sys/fs/cgroup/freezer/')) {
    for (const controller of V1_CONTROLLERS) {
      const own = ownV1Path(controller);
      if (own !== null) paths.push(join(own, basename(parentPath)));
    }
  }
  const removeNow = (path: string): void => {
    for (const child of childDirs(path)) removeNow(child);
    for (const pid of membersOf(path)) signalKill(pid);
    tryRemove(path);
  };
  for (const path of paths) removeNow(path);
}

/** The directory of the bench's cgroup in a v1 controller's hierarchy, null where it has none. */
function ownV1Path(controller: string): string | null {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'latin1').split('\n')) {
      const [, controllers = '', path = ''] = line.split(':');
      if (controllers.split(',').includes(controller)) return join('/sys/fs/cgroup', controllers, path);
    }
  } catch {
    // No /proc/self/cgroup: no cgroups either.
  }
  return null;
}

async function removeTree(path: string): Promise<void> {
  for (const child of childDirs(path)) await removeTree(child);
  for (let round = 0; round < 50 && !tryRemove(path); round += 1) {
    for (const pid of membersOf(path)) signalKill(pid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function childDirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(path, entry.name));
  } catch {
    return [];
  }
}

function membersOf(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'latin1').trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signalKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function tryRemove(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
