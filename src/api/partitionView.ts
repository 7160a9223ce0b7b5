// Shapes a partition, with its counts and its cgroup's accounting, into the API's JSON.
import { isoOf } from '../runtime/clock.js';
import type { PartitionUsage } from '../runtime/partitionLimits.js';
import type { PartitionEntry } from '../supervisor/partitions.js';
import type { PartitionCount } from '../supervisor/supervisor.js';
import type { PartitionJson } from './schemas/partitionSchemas.js';

export function partitionView({ definition, unenforced }: PartitionEntry, count: PartitionCount, usage: PartitionUsage): PartitionJson {
  return {
    name: definition.name,
    maxRunning: definition.maxRunning,
    cpu: definition.cpu,
    memoryBytes: definition.memoryBytes,
    pids: definition.pids,
    maxProcesses: definition.maxProcesses,
    definitionBytes: definition.definitionBytes,
    processes: count.processes,
    definitionBytesUsed: count.definitionBytes,
    running: count.running,
    unenforced: unenforced.map(({ limit, reason }) => ({ limit, reason })),
    usage: { cpuMs: usage.cpuMs === null ? null : Math.round(usage.cpuMs * 1000) / 1000, memoryBytes: usage.memoryBytes, pids: usage.pids },
    createdAt: isoOf(definition.createdAtMs),
  };
}
