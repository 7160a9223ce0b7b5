// What a test daemon killed outright leaves in the cgroup tree (its parent of job cgroups, and
// any job cgroup with what is in it) is removed, so that test runs do not litter the machine.
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function removeJobCgroups(parentPath: string): Promise<void> {
  let children: string[];
  try {
    children = readdirSync(parentPath, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(parentPath, entry.name));
  } catch {
    return;
  }
  for (const child of children) {
    for (let round = 0; round < 50 && !tryRemove(child); round += 1) {
      for (const pid of membersOf(child)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await sleep(20);
    }
  }
  tryRemove(parentPath);
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
