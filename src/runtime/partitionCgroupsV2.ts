// Partition cgroups on the unified hierarchy (cgroup v2): the limits in the partition's own
// directory (cpu.max, memory.max with memory.swap.max, pids.max), as the kernel's cgroup-v2
// interface names them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyLimits, cpuQuotaUs, CPU_PERIOD_US, readCounter, writeLimit } from './cgroupLimitFiles.js';
import { makeV2Partition } from './cgroupV2.js';
import { partitionDirName, removeDir } from './jobCgroups.js';
import type {
  LimitSupport,
  PartitionCgroups,
  PartitionLimits,
  PartitionUsage,
  UnenforcedLimit,
} from './partitionLimits.js';

export class V2PartitionCgroups implements PartitionCgroups {
  /** controllers: those the parent hands to its partitions (a limit's file exists only with its controller). */
  constructor(
    private readonly parentPath: string,
    private readonly controllers: readonly string[],
    readonly support: LimitSupport,
  ) {}

  apply(partition: string, limits: PartitionLimits): UnenforcedLimit[] {
    return applyLimits(this.support, limits, () => makeV2Partition(this.parentPath, partition, this.controllers), {
      cpu: (dir, cpu) => this.writeCpu(dir, cpu),
      memoryBytes: (dir, memoryBytes) => this.writeMemory(dir, memoryBytes),
      pids: (dir, pids) => writeLimit('pids', join(dir, 'pids.max'), pids === null ? 'max' : String(pids)),
    });
  }

  usage(partition: string): PartitionUsage {
    const dir = this.pathOf(partition);
    // cpu.stat's usage_usec is kept by every cgroup, with the cpu controller or without.
    const cpuUs = readCounter(join(dir, 'cpu.stat'), 'usage_usec');
    return {
      cpuMs: cpuUs === null ? null : cpuUs / 1000,
      memoryBytes: readCounter(join(dir, 'memory.current')),
      pids: readCounter(join(dir, 'pids.current')),
    };
  }

  remove(partition: string): boolean {
    return removeDir(this.pathOf(partition));
  }

  private writeCpu(dir: string, cpu: number | null): UnenforcedLimit | null {
    return writeLimit('cpu', join(dir, 'cpu.max'), `${cpu === null ? 'max' : cpuQuotaUs(cpu)} ${CPU_PERIOD_US}`);
  }

  /** memory.max, and no swap beyond it (memory.swap.max 0, where the kernel accounts swap): swapping cannot dodge it. */
  private writeMemory(dir: string, memoryBytes: number | null): UnenforcedLimit | null {
    const refusal = writeLimit('memoryBytes', join(dir, 'memory.max'), memoryBytes === null ? 'max' : String(memoryBytes));
    const swapFile = join(dir, 'memory.swap.max');
    if (refusal || !existsSync(swapFile)) return refusal;
    return writeLimit('memoryBytes', swapFile, memoryBytes === null ? 'max' : '0');
  }

  private pathOf(partition: string): string {
    return join(this.parentPath, partitionDirName(partition));
  }
}
