// The test process's own cgroup directories, read from /proc/self/cgroup: a daemon or adapter
// it starts makes its cgroups below these.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The directory of this process's cgroup in a v1 controller's hierarchy, null where it has none. */
export function ownV1Path(controller: string): string | null {
  for (const line of readFileSync('/proc/self/cgroup', 'latin1').split('\n')) {
    const [, controllers = '', path = ''] = line.split(':');
    if (controllers.split(',').includes(controller)) return join('/sys/fs/cgroup', controllers, path);
  }
  return null;
}
