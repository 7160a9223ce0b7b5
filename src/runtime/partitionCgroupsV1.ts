// Partition cgroups on a legacy (or hybrid) hierarchy, cgroup v1: each limit in its own
// controller's directory of the partition (cpu, memory, pids), the accounting from cpuacct too.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyLimits, cpuQuotaUs, CPU_PERIOD_US, readCounter, writeLimit } from './cgroupLimitFiles.js';
import type { V1Controller, V1ControllerName } from './cgroupV1.js';
import { makeDir, partitionDirName, removeDir } from './jobCgroups.js';
import type {
  LimitSupport,
  PartitionCgroups,
  PartitionLimits,
  PartitionUsage,
  UnenforcedLimit,
} from './partitionLimits.js';

/** "No limit" for v1's memory files. */
const UNLIMITED = -1;

export class V1PartitionCgroups implements PartitionCgroups {
  /** controllers: those used (the freezer's too: a partition's directory is made in each). */
  constructor(
    private readonly controllers: readonly V1Controller[],
    readonly support: LimitSupport,
  ) {}

  apply(partition: string, limits: PartitionLimits): UnenforcedLimit[] {
    const make = (): string => {
      for (const controller of this.controllers) makeDir(this.pathIn(controller, partition));
      return partition;
    };
    return applyLimits(this.support, limits, make, {
      cpu: (made, cpu) => this.writeCpu(made, cpu),
      memoryBytes: (made, memoryBytes) => this.writeMemory(made, memoryBytes),
      pids: (made, pids) => this.writePids(made, pids),
    });
  }

  usage(partition: string): PartitionUsage {
    const cpuacct = this.dirOf('cpuacct', partition);
    const memory = this.dirOf('memory', partition);
    const pids = this.dirOf('pids', partition);
    const cpuNs = cpuacct === null ? null : readCounter(join(cpuacct, 'cpuacct.usage'));
    return {
      cpuMs: cpuNs === null ? null : cpuNs / 1e6,
      memoryBytes: memory === null ? null : readCounter(join(memory, 'memory.usage_in_bytes')),
      pids: pids === null ? null : readCounter(join(pids, 'pids.current')),
    };
  }

  remove(partition: string): boolean {
    return this.controllers.map((controller) => removeDir(this.pathIn(controller, partition))).every(Boolean);
  }

  private writeCpu(partition: string, cpu: number | null): UnenforcedLimit | null {
    const dir = this.dirOf('cpu', partition) as string;
    return (
      writeLimit('cpu', join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US)) ??
      writeLimit('cpu', join(dir, 'cpu.cfs_quota_us'), String(cpu === null ? UNLIMITED : cpuQuotaUs(cpu)))
    );
  }

  /**
   * memory.limit_in_bytes, and memory.memsw.limit_in_bytes (memory and swap together) to the same
   * value where the kernel accounts swap, so that swapping out cannot dodge the limit. The kernel
   * keeps memsw >= limit at every step: raising writes memsw first, lowering writes it last.
   */
  private writeMemory(partition: string, memoryBytes: number | null): UnenforcedLimit | null {
    const dir = this.dirOf('memory', partition) as string;
    const limitFile = join(dir, 'memory.limit_in_bytes');
    const memswFile = join(dir, 'memory.memsw.limit_in_bytes');
    const value = String(memoryBytes ?? UNLIMITED);
    const current = readCounter(limitFile) ?? Infinity;
    const raising = memoryBytes === null || memoryBytes >= current;
    const files = !existsSync(memswFile) ? [limitFile] : raising ? [memswFile, limitFile] : [limitFile, memswFile];
    for (const file of files) {
      const refusal = writeLimit('memoryBytes', file, value);
      if (refusal) return refusal;
    }
    return null;
  }

  private writePids(partition: string, pids: number | null): UnenforcedLimit | null {
    return writeLimit('pids', join(this.dirOf('pids', partition) as string, 'pids.max'), pids === null ? 'max' : String(pids));
  }

  private dirOf(name: V1ControllerName, partition: string): string | null {
    const controller = this.controllers.find((candidate) => candidate.name === name);
    return controller ? this.pathIn(controller, partition) : null;
  }

  private pathIn(controller: V1Controller, partition: string): string {
    return join(controller.parentPath, partitionDirName(partition));
  }
}
