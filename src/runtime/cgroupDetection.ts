// Finds at start which hierarchy this machine has (v2 unified, v1 legacy or hybrid) and the
// daemon's own cgroup in it, makes the daemon's parent of partition and job cgroups below that,
// and proves it can be used (a probe job cgroup that the daemon's thread enters and leaves).
// Anything that fails means no cgroups: the answer then says why.
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { ownUnifiedPath } from './cgroupMounts.js';
import { V1JobCgroups } from './cgroupV1.js';
import { distinctDirs, findV1Controllers } from './cgroupV1Controllers.js';
import { V2JobCgroups } from './cgroupV2.js';
import { delegateV2Controllers } from './cgroupV2Delegation.js';
import { makeDir, readControl, type JobCgroups, type JobTracking } from './jobCgroups.js';
import { partitionsWithoutCgroups, restorable, type PartitionCgroups } from './partitionLimits.js';
import { V1PartitionCgroups } from './partitionCgroupsV1.js';
import { V2PartitionCgroups } from './partitionCgroupsV2.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupDetectionOptions {
  /** Names the daemon's parent cgroup, `sigma-<nodeId>`: the same across restarts of one data dir. */
  readonly nodeId: string;
  /** Where the hierarchy is mounted (a unified one, or the directory of the v1 mounts). */
  readonly root?: string;
}

/** partitions: the limits of the partitions' cgroups, or, without cgroups, each set limit reported as not held. */
export type CgroupDetection =
  | { readonly cgroups: JobCgroups; readonly tracking: JobTracking; readonly partitions: PartitionCgroups }
  | { readonly cgroups: null; readonly tracking: JobTracking; readonly partitions: PartitionCgroups };

export function detectJobCgroups({ nodeId, root = '/sys/fs/cgroup' }: CgroupDetectionOptions): CgroupDetection {
  const parentName = `sigma-${nodeId}`;
  let cgroups: JobCgroups | null = null;
  try {
    const found = isUnified(root) ? unified(root, parentName) : legacy(parentName);
    cgroups = found.cgroups;
    proveUsable(found.cgroups, found.partitions);
    return { cgroups: found.cgroups, tracking: found.cgroups.tracking, partitions: found.partitions };
  } catch (error) {
    cgroups?.removeParent();
    const code = (error as NodeJS.ErrnoException).code;
    return withoutJobCgroups(`no job cgroups (${code ? `${code}: ` : ''}${(error as Error).message}): jobs are tracked by process group and environment mark`);
  }
}

/** Jobs tracked by process group and mark only; every set partition limit is reported with the reason. */
export function withoutJobCgroups(reason: string): CgroupDetection {
  return { cgroups: null, tracking: { mode: 'process-group', parentPath: null, reason }, partitions: partitionsWithoutCgroups(reason) };
}

interface FoundCgroups {
  readonly cgroups: JobCgroups;
  readonly partitions: PartitionCgroups;
}

function isUnified(root: string): boolean {
  return statfsSync(root).type === CGROUP2_SUPER_MAGIC;
}

function unified(root: string, parentName: string): FoundCgroups {
  const ownPath = ownUnifiedPath(root);
  const parentPath = join(ownPath, parentName);
  // Left by an earlier daemon of this node: its leftovers are swept at boot.
  makeDir(parentPath);
  const { controllers, support } = delegateV2Controllers(ownPath, parentPath);
  const partitions = restorable(new V2PartitionCgroups(parentPath, controllers, support));
  return { cgroups: new V2JobCgroups(ownPath, parentPath, (partition) => partitions.restore(partition)), partitions };
}

function legacy(parentName: string): FoundCgroups {
  const { controllers, support } = findV1Controllers(parentName);
  const partitions = restorable(new V1PartitionCgroups(controllers, support));
  return { cgroups: new V1JobCgroups(distinctDirs(controllers), (partition) => partitions.restore(partition)), partitions };
}

/** A probe job cgroup in a probe partition, entered and left as a spawn does: what fails here would fail every job. */
function proveUsable(cgroups: JobCgroups, partitions: PartitionCgroups): void {
  // Not a valid partition name ('@'): it cannot be a user's partition.
  const partition = `probe@${process.pid}`;
  try {
    const probe = cgroups.create(`probe-${process.pid}`, partition);
    try {
      probe.spawnInside(() => undefined);
      const freezeFile = cgroups.tracking.mode === 'cgroup-v2' ? 'cgroup.freeze' : 'freezer.state';
      if (readControl(join(probe.path, freezeFile)) === null) throw new Error(`the kernel has no ${freezeFile}`);
    } finally {
      probe.remove();
    }
  } finally {
    partitions.remove(partition);
  }
}
