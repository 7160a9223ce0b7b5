// Reads the "partitions:" list of an apply file: each partition's name and limits, checked with
// the API's rule and ranges, every problem reported with its line.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { PartitionLimitsJson } from '../apiTypes.js';
import { formatByteSize, parseByteSize } from '../byteSize.js';
import { NAME_PATTERN, NAME_RULE } from '../definitionLimits.js';
import { PARTITION_LIMIT_RANGES as RANGES } from '../partitionLimitRanges.js';
import type { DesiredPartition } from './desiredPartition.js';
import { isNullScalar, knownFields, scalarText, wholeNumber, type FileProblem, type LineOf } from './yamlNodes.js';

const FIELDS = ['name', 'maxRunning', 'cpu', 'memoryBytes', 'pids'] as const;
type LimitName = keyof PartitionLimitsJson;

const NO_LIMIT = 'leave it out for no limit';

/** Each limit's reading of its node: the value, or the message that says what to write instead. */
const LIMIT_READERS: Record<LimitName, (node: Node) => number | string> = {
  maxRunning: (node) =>
    wholeNumber(node, RANGES.maxRunning.min, RANGES.maxRunning.max) ??
    `must be a whole number of running slots from ${RANGES.maxRunning.min} to ${RANGES.maxRunning.max}; ${NO_LIMIT}`,
  cpu: (node) => {
    const { min, max } = RANGES.cpu;
    const value = isScalar(node) ? node.value : null;
    if (typeof value === 'number' && value >= min && value <= max) return value;
    return `must be a share of one core from ${min} to ${max} (0.5: half a core, 2: two cores); ${NO_LIMIT}`;
  },
  memoryBytes: (node) => {
    const { min, max } = RANGES.memoryBytes;
    const text = scalarText(node);
    const bytes = text === null ? null : parseByteSize(text);
    if (bytes === null) return `must be a size in bytes, like 268435456, 256Mi, 256MiB, 512M or 1Gi; ${NO_LIMIT}`;
    if (bytes < min) return `must be at least ${formatByteSize(min)} (${min} bytes), not ${bytes} bytes`;
    if (bytes > max) return `must be at most ${max} bytes`;
    return bytes;
  },
  pids: (node) =>
    wholeNumber(node, RANGES.pids.min, RANGES.pids.max) ??
    `must be a whole number of tasks (processes and threads) from ${RANGES.pids.min} to ${RANGES.pids.max}; ${NO_LIMIT}`,
};

/** The partitions of the list; `keyNode` (the "partitions" key) is where a list that is not one is reported. */
export function readPartitionList(list: Node | null, keyNode: Node, problems: FileProblem[], lineOf: LineOf): DesiredPartition[] {
  if (!isSeq(list)) {
    problems.push({ line: lineOf(list ?? keyNode), message: '"partitions" must be a list of partitions ("- name: ..." entries), or [] for none but default' });
    return [];
  }
  const partitions: DesiredPartition[] = [];
  const seenNames = new Map<string, number>();
  list.items.forEach((item, index) => {
    const where = `partitions[${index}]`;
    if (!isMap(item)) {
      problems.push({ line: lineOf(item as Node), message: `${where} must be a mapping (name: ..., maxRunning: ..., ...)` });
      return;
    }
    const name = scalarText(item.get('name', true) as Node | undefined);
    if (name !== null) {
      const earlier = seenNames.get(name);
      if (earlier !== undefined) problems.push({ line: lineOf(item), message: `${where}: the name "${name}" is already used on line ${earlier}: names are unique` });
      else seenNames.set(name, lineOf(item));
    }
    const desired = readPartition(item, where, problems, lineOf);
    if (desired) partitions.push(desired);
  });
  return partitions;
}

function readPartition(map: YAMLMap, where: string, problems: FileProblem[], lineOf: LineOf): DesiredPartition | null {
  const countBefore = problems.length;
  const problem = (node: Node | null | undefined, message: string): void => {
    problems.push({ line: lineOf(node), message });
  };
  const fields = knownFields(map, where, FIELDS, problem);

  let name: string | null = null;
  const nameNode = fields.get('name');
  if (nameNode === undefined) {
    problem(map, `${where}: "name" is missing: every partition needs a unique name`);
  } else {
    const text = scalarText(nameNode);
    if (text !== null && NAME_PATTERN.test(text)) name = text;
    else problem(nameNode ?? map, `${where}.name must be ${NAME_RULE}${text !== null ? `, not "${text}"` : ''}`);
  }
  const label = name ? `${where} (${name})` : where;

  const limits: PartitionLimitsJson = { maxRunning: null, cpu: null, memoryBytes: null, pids: null };
  for (const limit of Object.keys(LIMIT_READERS) as LimitName[]) {
    const node = fields.get(limit);
    if (node === undefined || isNullScalar(node)) continue;
    const value = LIMIT_READERS[limit](node as Node);
    if (typeof value === 'number') limits[limit] = value;
    else problem(node, `${label}.${limit} ${value}`);
  }

  if (problems.length !== countBefore || name === null) return null;
  return { name, limits, line: lineOf(map) };
}
