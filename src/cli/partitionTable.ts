// How partitions read on a terminal: the table of `sigma partition ls`, the fields of
// `sigma partition show`, and the limits that do not hold, which are never left unsaid.
import type { PartitionJson, PartitionLimitsJson, PartitionQuotasJson } from './apiTypes.js';
import { formatByteSize } from './byteSize.js';
import { formatMs, formatRelative } from './displayValues.js';
import { plainTable } from './plainTable.js';
import type { Painter } from './terminalStyle.js';
import { displayable } from './terminalText.js';

/** After a limit's value: it is set, but the node does not enforce it. */
export const UNENFORCED_MARK = '!';

/** DEFINITIONS: the bytes its processes' definitions take, of its definitionBytes quota. */
const HEAD = ['NAME', 'PROCESSES', 'RUNNING', 'MAX RUNNING', 'CPU', 'MEMORY', 'PIDS', 'MAX PROCESSES', 'DEFINITIONS', 'UNENFORCED'];

/** The limit's name as the command line's flags say it (memoryBytes is --memory). */
function limitWord(limit: string): string {
  return limit === 'memoryBytes' ? 'memory' : limit === 'maxRunning' ? 'max running' : limit;
}

function formatLimit(limit: keyof PartitionLimitsJson, value: number | null): string {
  if (value === null) return '-';
  return limit === 'memoryBytes' ? formatByteSize(value) : String(value);
}

export function partitionTable(partitions: PartitionJson[], paint: Painter): string {
  const rows = displayable(partitions).map((partition) => {
    const unenforced = new Set<string>(partition.unenforced.map((entry) => entry.limit));
    const cell = (limit: keyof PartitionLimitsJson): string => {
      const text = formatLimit(limit, partition[limit]);
      return unenforced.has(limit) ? `${text}${paint('yellow', UNENFORCED_MARK)}` : text;
    };
    return [
      partition.name,
      String(partition.processes),
      String(partition.running),
      cell('maxRunning'),
      cell('cpu'),
      cell('memoryBytes'),
      cell('pids'),
      partition.maxProcesses === null ? '-' : String(partition.maxProcesses),
      `${formatByteSize(partition.definitionBytesUsed)}/${partition.definitionBytes === null ? '-' : formatByteSize(partition.definitionBytes)}`,
      unenforced.size === 0 ? '-' : paint('yellow', [...unenforced].map(limitWord).join(', ')),
    ];
  });
  return plainTable(paint, HEAD, rows);
}

/** One line per limit that does not hold, with why: under the table, and after create and set. */
export function unenforcedNotes(partitions: PartitionJson[], paint: Painter): string[] {
  return displayable(partitions).flatMap((partition) =>
    partition.unenforced.map((entry) => `${paint('yellow', `the ${limitWord(entry.limit)} limit of ${partition.name} does not hold`)}: ${entry.reason}`),
  );
}

/** "max running 2, cpu 0.5, memory 256Mi, pids none, max processes 1000, definition bytes 64Mi". */
export function limitsSummary(partition: PartitionLimitsJson & PartitionQuotasJson): string {
  const limits: Array<keyof PartitionLimitsJson> = ['maxRunning', 'cpu', 'memoryBytes', 'pids'];
  const quotas = [
    `max processes ${partition.maxProcesses ?? 'none'}`,
    `definition bytes ${partition.definitionBytes === null ? 'none' : formatByteSize(partition.definitionBytes)}`,
  ];
  return [...limits.map((limit) => `${limitWord(limit)} ${partition[limit] === null ? 'none' : formatLimit(limit, partition[limit])}`), ...quotas].join(', ');
}

export function partitionFields(answer: PartitionJson, nowMs: number, paint: Painter): string {
  const partition = displayable(answer);
  const { usage } = partition;
  const fields: Array<[string, string]> = [
    ['name', partition.name],
    ['processes', String(partition.processes)],
    ['running', `${partition.running} (holding a slot now)`],
    ['maxRunning', formatLimit('maxRunning', partition.maxRunning)],
    ['cpu', partition.cpu === null ? '-' : `${partition.cpu} (of one core)`],
    ['memoryBytes', partition.memoryBytes === null ? '-' : `${formatByteSize(partition.memoryBytes)} (${partition.memoryBytes} bytes)`],
    ['pids', formatLimit('pids', partition.pids)],
    ['maxProcesses', partition.maxProcesses === null ? '- (the node\'s --max-processes holds)' : String(partition.maxProcesses)],
    ['definitionBytes', partition.definitionBytes === null ? '-' : `${formatByteSize(partition.definitionBytes)} (${partition.definitionBytes} bytes)`],
    ['definitions used', `${formatByteSize(partition.definitionBytesUsed)} (${partition.definitionBytesUsed} bytes)`],
    ['cpu used', usage.cpuMs === null ? '- (no accounting on this node)' : formatMs(usage.cpuMs)],
    ['memory used', usage.memoryBytes === null ? '- (no accounting on this node)' : formatByteSize(usage.memoryBytes)],
    ['pids used', usage.pids === null ? '- (no accounting on this node)' : String(usage.pids)],
    ['unenforced', partition.unenforced.length === 0 ? '-' : paint('yellow', partition.unenforced.map((entry) => `${limitWord(entry.limit)}: ${entry.reason}`).join('; '))],
    ['createdAt', `${partition.createdAt} (${formatRelative(partition.createdAt, nowMs)})`],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${paint('bold', name.padEnd(width))}  ${value}\n`).join('');
}
