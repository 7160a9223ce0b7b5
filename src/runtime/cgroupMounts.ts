// Where the daemon is in each cgroup hierarchy: its own cgroup's directory, read from
// /proc/self/cgroup and /proc/self/mountinfo.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The daemon's own cgroup directory in the unified (v2) hierarchy mounted at root. */
export function ownUnifiedPath(root: string): string {
  const path = join(root, ownCgroupPath((controllers, hierarchyId) => hierarchyId === '0' && controllers === ''));
  return path.length > 1 ? path.replace(/\/$/, '') : path;
}

/** The daemon's own cgroup directory in a v1 controller's hierarchy; throws if none is mounted. */
export function ownV1Path(controller: string): string {
  const mount = cgroupV1Mount(controller);
  return join(mount.mountPoint, relativeTo(mount.root, ownCgroupPath((controllers) => controllers.split(',').includes(controller))));
}

/** The daemon's path in one hierarchy, from /proc/self/cgroup ("id:controllers:path" lines). */
function ownCgroupPath(isHierarchy: (controllers: string, hierarchyId: string) => boolean): string {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [hierarchyId, controllers, ...path] = line.split(':');
    if (hierarchyId !== undefined && controllers !== undefined && isHierarchy(controllers, hierarchyId)) return path.join(':');
  }
  throw new Error('the daemon\'s own cgroup is not in /proc/self/cgroup');
}

/** Where a v1 controller's hierarchy is mounted, and which of its cgroups is that mount's root. */
function cgroupV1Mount(controller: string): { mountPoint: string; root: string } {
  // mountinfo: id parent dev root mountPoint options [optional...] - fstype source superOptions
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType !== 'cgroup' || !superOptions.split(',').includes(controller)) continue;
    const fields = before.split(' ');
    return { root: unescapeMountPath(fields[3] ?? '/'), mountPoint: unescapeMountPath(fields[4] ?? '') };
  }
  throw new Error(`no ${controller} controller is mounted`);
}

/** Our path below a mount whose root is a cgroup of its own (as in a container). */
function relativeTo(mountRoot: string, path: string): string {
  if (mountRoot === '/') return path;
  if (path === mountRoot || path.startsWith(`${mountRoot}/`)) return path.slice(mountRoot.length) || '/';
  throw new Error(`the daemon's cgroup ${path} is outside the mounted ${mountRoot}`);
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
