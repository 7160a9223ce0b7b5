// Which limits a unified (cgroup v2) hierarchy lets sigma enforce: a limit's controller must be
// handed down from the daemon's own cgroup to sigma's parent cgroup, and from it to the partitions.
import { join } from 'node:path';
import { readControl, writeControl } from './jobCgroups.js';
import { CGROUP_LIMITS, type CgroupLimitName, type LimitSupport } from './partitionLimits.js';

const CONTROLLER_OF: Record<CgroupLimitName, string> = { cpu: 'cpu', memoryBytes: 'memory', pids: 'pids' };

export interface V2Delegation {
  /** The controllers enabled in the parent's cgroup.subtree_control: its partitions have them. */
  readonly controllers: readonly string[];
  readonly support: LimitSupport;
}

/** Enables each limit's controller down to the parent where the kernel allows it; says why not where not. */
export function delegateV2Controllers(ownPath: string, parentPath: string): V2Delegation {
  const available = words(readControl(join(ownPath, 'cgroup.controllers')));
  const controllers: string[] = [];
  const support: Record<CgroupLimitName, string | null> = { cpu: null, memoryBytes: null, pids: null };
  for (const limit of CGROUP_LIMITS) {
    const controller = CONTROLLER_OF[limit];
    support[limit] = available.has(controller) ? enableDown(controller, ownPath, parentPath) : notAvailable(controller, ownPath);
    if (support[limit] === null) controllers.push(controller);
  }
  return { controllers, support };
}

function enableDown(controller: string, ownPath: string, parentPath: string): string | null {
  for (const path of [ownPath, parentPath]) {
    const subtreeControl = join(path, 'cgroup.subtree_control');
    if (words(readControl(subtreeControl)).has(controller)) continue;
    try {
      writeControl(subtreeControl, `+${controller}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'EBUSY' && path === ownPath) {
        return (
          `cgroup v2: the daemon's cgroup ${ownPath} has processes of its own (the daemon), so the kernel refuses ` +
          `to hand the ${controller} controller to sigma's cgroups below it (EBUSY: only the root cgroup may both hold ` +
          `processes and hand controllers down); run the daemon in the root cgroup, or on a cgroup v1 hierarchy`
        );
      }
      return `cgroup v2: the ${controller} controller cannot be enabled in ${subtreeControl} (${code}: ${(error as Error).message})`;
    }
  }
  return null;
}

function notAvailable(controller: string, ownPath: string): string {
  return `cgroup v2: the ${controller} controller is not available in the daemon's cgroup ${ownPath} (not in its cgroup.controllers: the cgroup above it does not hand it down, or it is bound to a v1 hierarchy)`;
}

function words(text: string | null): Set<string> {
  return new Set((text ?? '').split(/\s+/).filter(Boolean));
}
