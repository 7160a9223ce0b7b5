// Finds at start which hierarchy this machine has (v2 unified, v1 legacy or hybrid) and the
// daemon's own cgroup in it, makes the daemon's parent of job cgroups below that, and proves it
// can be used (a probe job cgroup that the daemon's thread enters and leaves). Anything that
// fails means no cgroups: the answer then says why.
import { mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { V1JobCgroups, type V1Controller } from './cgroupV1.js';
import { V2JobCgroups } from './cgroupV2.js';
import { readControl, type JobCgroups, type JobTracking } from './jobCgroups.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupDetectionOptions {
  /** Names the daemon's parent cgroup, `sigma-<nodeId>`: the same across restarts of one data dir. */
  readonly nodeId: string;
  /** Where the hierarchy is mounted (a unified one, or the directory of the v1 mounts). */
  readonly root?: string;
}

export type CgroupDetection = { readonly cgroups: JobCgroups; readonly tracking: JobTracking } | { readonly cgroups: null; readonly tracking: JobTracking };

export function detectJobCgroups({ nodeId, root = '/sys/fs/cgroup' }: CgroupDetectionOptions): CgroupDetection {
  const parentName = `sigma-${nodeId}`;
  let cgroups: JobCgroups | null = null;
  try {
    cgroups = isUnified(root) ? unified(root, parentName) : legacy(parentName);
    proveUsable(cgroups);
    return { cgroups, tracking: cgroups.tracking };
  } catch (error) {
    cgroups?.removeParent();
    const code = (error as NodeJS.ErrnoException).code;
    const reason = `no job cgroups (${code ? `${code}: ` : ''}${(error as Error).message}): jobs are tracked by process group and environment mark`;
    return { cgroups: null, tracking: { mode: 'process-group', parentPath: null, reason } };
  }
}

function isUnified(root: string): boolean {
  return statfsSync(root).type === CGROUP2_SUPER_MAGIC;
}

function unified(root: string, parentName: string): JobCgroups {
  const ownPath = join(root, ownCgroupPath((controllers, hierarchyId) => hierarchyId === '0' && controllers === ''));
  const parentPath = join(ownPath, parentName);
  makeParent(parentPath);
  return new V2JobCgroups(ownPath, parentPath);
}

function legacy(parentName: string): JobCgroups {
  const mount = cgroupV1Mount('freezer');
  const ownPath = join(mount.mountPoint, relativeTo(mount.root, ownCgroupPath((controllers) => controllers.split(',').includes('freezer'))));
  const freezer: V1Controller = { name: 'freezer', ownPath, parentPath: join(ownPath, parentName) };
  makeParent(freezer.parentPath);
  return new V1JobCgroups([freezer]);
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

function makeParent(parentPath: string): void {
  try {
    mkdirSync(parentPath);
  } catch (error) {
    // Left by an earlier daemon of this node: its leftovers are swept at boot.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A probe job cgroup, entered and left as a spawn does: what fails here would fail every job. */
function proveUsable(cgroups: JobCgroups): void {
  const probe = cgroups.create(`probe-${process.pid}`);
  try {
    probe.spawnInside(() => undefined);
    const freezeFile = cgroups.tracking.mode === 'cgroup-v2' ? 'cgroup.freeze' : 'freezer.state';
    if (readControl(join(probe.path, freezeFile)) === null) throw new Error(`the kernel has no ${freezeFile}`);
  } finally {
    probe.remove();
  }
}
