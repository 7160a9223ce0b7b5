// What a test daemon killed outright leaves in the cgroup tree (its parent of partition and job
// cgroups, with what is in them, in every v1 controller it used) is removed, so that test runs do
// not litter the machine.
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownV1Path } from './ownCgroups.js';

/** The controllers (besides the freezer, whose parent the daemon shows) a daemon makes cgroups in. */
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'];

/** parentPath: the daemon's parent cgroup as GET /node shows it (v2's, or v1's freezer one). */
export async function removeJobCgroups(parentPath: string): Promise<void> {
  await removeTree(parentPath);
  if (!parentPath.startsWith('/sys/fs/cgroup/freezer/')) return;
  // The daemon was started by this test process: its own cgroups are ours.
  for (const controller of V1_CONTROLLERS) {
    const own = ownV1Path(controller);
    if (own !== null) await removeTree(join(own, basename(parentPath)));
  }
}

async function removeTree(path: string): Promise<void> {
  for (const child of childDirs(path)) await removeTree(child);
  for (let round = 0; round < 50 && !tryRemove(path); round += 1) {
    for (const pid of membersOf(path)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await sleep(20);
  }
}

function childDirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(path, entry.name));
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

function tryRemove(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
