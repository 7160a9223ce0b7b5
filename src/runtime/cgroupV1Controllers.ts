// Which v1 controllers sigma's cgroups use: the freezer always (it tracks and freezes a job's
// members), and cpu, cpuacct, memory and pids each where it is mounted and a cgroup can be made
// and entered in it. A controller left out takes its limit with it, and says why.
import { join } from 'node:path';
import { ownV1Path } from './cgroupMounts.js';
import type { V1Controller, V1ControllerName } from './cgroupV1.js';
import { makeDir, removeDir, writeControl } from './jobCgroups.js';
import type { LimitSupport } from './partitionLimits.js';

const OPTIONAL: readonly V1ControllerName[] = ['cpu', 'cpuacct', 'memory', 'pids'];

export interface V1Controllers {
  /** The freezer first, then each optional controller usable here. */
  readonly controllers: readonly V1Controller[];
  readonly support: LimitSupport;
}

/** The controllers, each with its parent cgroup made; throws if the freezer cannot be used. */
export function findV1Controllers(parentName: string): V1Controllers {
  const controllers = [controllerAt('freezer', parentName)];
  const unusable = new Map<V1ControllerName, string>();
  for (const name of OPTIONAL) {
    let controller: V1Controller | null = null;
    try {
      controller = controllerAt(name, parentName);
      const parentPath = controller.parentPath;
      // Mounted together (cpu,cpuacct): one directory serves both.
      if (!controllers.some((used) => used.parentPath === parentPath)) proveEnterable(controller);
      controllers.push(controller);
    } catch (error) {
      if (controller && !controllers.some((used) => used.parentPath === controller?.parentPath)) removeDir(controller.parentPath);
      const code = (error as NodeJS.ErrnoException).code;
      unusable.set(name, `cgroup v1: the ${name} controller cannot be used (${code ? `${code}: ` : ''}${(error as Error).message})`);
    }
  }
  const support: LimitSupport = { cpu: unusable.get('cpu') ?? null, memoryBytes: unusable.get('memory') ?? null, pids: unusable.get('pids') ?? null };
  return { controllers, support };
}

/** One directory per controller: those mounted together appear once (the freezer's name kept first). */
export function distinctDirs(controllers: readonly V1Controller[]): V1Controller[] {
  return controllers.filter((controller, index) => controllers.findIndex((other) => other.parentPath === controller.parentPath) === index);
}

function controllerAt(name: V1ControllerName, parentName: string): V1Controller {
  const ownPath = ownV1Path(name);
  const controller = { name, ownPath, parentPath: join(ownPath, parentName) };
  // Left by an earlier daemon of this node: its leftovers are swept at boot.
  makeDir(controller.parentPath);
  return controller;
}

/**
 * A probe cgroup, entered by the daemon's thread and left, as a spawn does (memory: a job's
 * members are moved in, the daemon never enters; made and removed only).
 */
function proveEnterable(controller: V1Controller): void {
  const probe = join(controller.parentPath, `probe@${process.pid}`);
  makeDir(probe);
  try {
    if (controller.name === 'memory') return;
    writeControl(join(probe, 'tasks'), String(process.pid));
    writeControl(join(controller.ownPath, 'tasks'), String(process.pid));
  } finally {
    removeDir(probe);
  }
}
