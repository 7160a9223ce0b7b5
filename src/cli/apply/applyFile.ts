// Reads an apply file (YAML): its processes (here) and partitions (partitionEntries.ts), every
// field checked, every problem reported with its line number.
// Pure: the caller reads the file; relative cwd values are resolved against `baseDir`.
import { isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { DEFINITION_LIMITS as LIMITS, ENV_NAME_PATTERN, NAME_PATTERN, NAME_RULE } from '../definitionLimits.js';
import type { DesiredPartition } from './desiredPartition.js';
import { DESIRED_STATES, type DesiredProcess, type DesiredState } from './desiredProcess.js';
import { readPartitionList } from './partitionEntries.js';
import { readRestart, type DesiredRestart } from './restartEntry.js';
import { isNullScalar, keyName, knownFields, scalarText, wholeNumber, type FileProblem, type LineOf } from './yamlNodes.js';

export type { FileProblem } from './yamlNodes.js';

export type ApplyFileReading =
  | {
      ok: true;
      processes: DesiredProcess[];
      /** null: the file has no "partitions:" key, and the node's partitions are not touched. */
      partitions: DesiredPartition[] | null;
    }
  | { ok: false; problems: FileProblem[] };

const FIELDS = ['name', 'partition', 'type', 'period', 'command', 'cwd', 'env', 'stopTimeoutMs', 'restart', 'timeCapacityMs', 'onDeadlineMiss', 'nice', 'node', 'placement', 'relocatable', 'state'] as const;
const TYPES = ['ONE_SHOT', 'PERIODIC'] as const;

export function readApplyFile(text: string, baseDir: string): ApplyFileReading {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const problems: FileProblem[] = [];
  const lineOf: LineOf = (node) => (node?.range ? lineCounter.linePos(node.range[0]).line : 1);
  const problem = (node: Node | null | undefined, message: string): void => {
    problems.push({ line: lineOf(node), message });
  };

  for (const error of document.errors) {
    problems.push({ line: error.linePos?.[0].line ?? 1, message: `not valid YAML: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}` });
  }
  if (problems.length > 0) return { ok: false, problems };

  const root = document.contents;
  if (!isMap(root)) {
    problem(root, 'the file must be a mapping with a "processes:" list, e.g.\n  processes:\n    - name: web\n      command: [sleep, "600"]');
    return { ok: false, problems };
  }
  let list: Node | null | undefined;
  let partitions: DesiredPartition[] | null = null;
  for (const pair of root.items) {
    const key = keyName(pair);
    if (key === 'processes') list = (pair.value as Node | null) ?? null;
    else if (key === 'partitions') partitions = readPartitionList(pair.value as Node | null, pair.key as Node, problems, lineOf);
    else problem(pair.key as Node, `unknown top-level key "${key}": the file has only "partitions:" and "processes:"`);
  }
  if (list === undefined) {
    problem(root, '"processes:" is missing: list the processes ("- name: ..." entries), or write "processes: []" for none');
  } else if (!isSeq(list)) {
    problem(list ?? root, '"processes" must be a list of processes ("- name: ..." entries)');
  }
  if (!isSeq(list)) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };

  const processes: DesiredProcess[] = [];
  const seenNames = new Map<string, number>();
  list.items.forEach((item, index) => {
    const where = `processes[${index}]`;
    if (!isMap(item)) {
      problem(item as Node, `${where} must be a mapping (name: ..., command: [...], ...)`);
      return;
    }
    const name = scalarText(item.get('name', true) as Node | undefined);
    if (name !== null) {
      const earlier = seenNames.get(name);
      if (earlier !== undefined) problem(item, `${where}: the name "${name}" is already used on line ${earlier}: names are unique`);
      else seenNames.set(name, lineOf(item));
    }
    const desired = readProcess(item, where, baseDir, problems, lineOf);
    if (desired) processes.push(desired);
  });
  return problems.length > 0 ? { ok: false, problems: problems.sort((a, b) => a.line - b.line) } : { ok: true, processes, partitions };
}

function readProcess(
  map: YAMLMap,
  where: string,
  baseDir: string,
  problems: FileProblem[],
  lineOf: LineOf,
): DesiredProcess | null {
  const countBefore = problems.length;
  const problem = (node: Node | null | undefined, message: string): void => {
    problems.push({ line: lineOf(node), message });
  };
  const fields = knownFields(map, where, FIELDS, problem);
  const node = (field: string): Node | null | undefined => fields.get(field);
  const fail = (field: string, message: string): null => {
    problem(node(field) ?? map, `${where}.${field} ${message}`);
    return null;
  };

  let name: string | null = null;
  const nameNode = node('name');
  if (nameNode === undefined) {
    problem(map, `${where}: "name" is missing: every process needs a unique name`);
  } else {
    const text = scalarText(nameNode);
    if (text === null || !NAME_PATTERN.test(text)) {
      fail('name', `must be ${NAME_RULE}${text !== null ? `, not "${text}"` : ''}`);
    } else {
      name = text;
    }
  }
  const label = name ? `${where} (${name})` : where;
  const failNamed = (field: string, message: string): null => {
    problem(node(field) ?? map, `${label}.${field} ${message}`);
    return null;
  };

  let type: DesiredProcess['type'] | null = null;
  if (node('type') !== undefined) {
    const text = scalarText(node('type'))?.toUpperCase() ?? null;
    if (text === 'ONE_SHOT' || text === 'PERIODIC') type = text;
    else failNamed('type', `must be ${TYPES.join(' or ')}`);
  }

  let period: number | null = null;
  if (node('period') !== undefined) {
    period = wholeNumber(node('period'), 1, LIMITS.maxPeriodMs);
    if (period === null) failNamed('period', `must be a whole number of milliseconds from 1 to ${LIMITS.maxPeriodMs}, e.g. 1000 for every second`);
  }
  if (type === null) type = period !== null ? 'PERIODIC' : node('type') === undefined ? 'ONE_SHOT' : null;
  if (type === 'ONE_SHOT' && period !== null) failNamed('period', 'is only for PERIODIC processes: write "type: PERIODIC" or leave "period" out');
  if (type === 'PERIODIC' && period === null && node('period') === undefined) failNamed('type', 'PERIODIC needs "period" (milliseconds)');

  let command: string[] | null = null;
  const commandNode = node('command');
  if (commandNode !== undefined && commandNode !== null) {
    if (!isSeq(commandNode)) {
      failNamed('command', 'must be a list (an argv, run without a shell), e.g. [sleep, "600"]; for a shell line write [sh, -c, "..."]');
    } else {
      const argv = commandNode.items.map((item) => scalarText(item as Node));
      if (argv.length === 0 || argv.some((arg) => arg === null)) failNamed('command', 'must be a non-empty list of words (strings or numbers)');
      else if (argv[0] === '') failNamed('command', 'cannot start with an empty word');
      else command = argv as string[];
    }
  } else if (commandNode === null) {
    failNamed('command', 'is empty: give a list, or leave "command" out to run the executable named after the process in the programs dir');
  }

  let cwd: string | null = null;
  const cwdNode = node('cwd');
  if (cwdNode !== undefined && !isNullScalar(cwdNode)) {
    const text = scalarText(cwdNode);
    if (text === null || text === '') failNamed('cwd', 'must be a directory path (relative paths are taken from the file\'s directory)');
    else cwd = isAbsolute(text) ? text : resolve(baseDir, text);
  }

  const env: Record<string, string> = {};
  const envNode = node('env');
  if (envNode !== undefined && !isNullScalar(envNode)) {
    if (!isMap(envNode)) {
      failNamed('env', 'must be a mapping of NAME: value');
    } else {
      for (const pair of envNode.items) {
        const key = keyName(pair);
        const value = scalarText(pair.value as Node | null);
        if (!ENV_NAME_PATTERN.test(key)) {
                problem(pair.key as Node, `${label}.env: "${key}" is not a variable name (letters, digits and _, not starting with a digit)`);
        } else if (value === null) {
                problem((pair.value as Node | null) ?? (pair.key as Node), `${label}.env.${key} must be a string or a number`);
        } else {
          env[key] = value;
        }
      }
    }
  }

  let partition: string | null = null;
  const partitionNode = node('partition');
  if (partitionNode !== undefined && !isNullScalar(partitionNode)) {
    const text = scalarText(partitionNode);
    if (text === null || !NAME_PATTERN.test(text)) failNamed('partition', `must be a partition name: ${NAME_RULE}`);
    else partition = text;
  }

  let stopTimeoutMs: number = LIMITS.defaultStopTimeoutMs;
  if (node('stopTimeoutMs') !== undefined) {
    const value = wholeNumber(node('stopTimeoutMs'), 0, LIMITS.maxStopTimeoutMs);
    if (value === null) failNamed('stopTimeoutMs', `must be a whole number of milliseconds from 0 to ${LIMITS.maxStopTimeoutMs}`);
    else stopTimeoutMs = value;
  }

  let restart: DesiredRestart | null = null;
  if (node('restart') !== undefined) {
    const read = readRestart(node('restart') ?? null, label, problem);
    if (read !== undefined) restart = read;
    if (restart !== null && type === 'PERIODIC') failNamed('restart', 'is only for ONE_SHOT processes: a PERIODIC one runs again at its next release anyway');
  }

  let timeCapacityMs: number | null = null;
  if (node('timeCapacityMs') !== undefined && !isNullScalar(node('timeCapacityMs') ?? null)) {
    timeCapacityMs = wholeNumber(node('timeCapacityMs'), 1, LIMITS.maxTimeCapacityMs);
    if (timeCapacityMs === null) failNamed('timeCapacityMs', `must be a whole number of milliseconds from 1 to ${LIMITS.maxTimeCapacityMs}`);
    else if (period !== null && timeCapacityMs > period) failNamed('timeCapacityMs', `(${timeCapacityMs}) must not be above period (${period}): a job's deadline comes no later than its next release`);
  }
  let onDeadlineMiss: 'log' | 'stop' | null = timeCapacityMs === null ? null : 'log';
  if (node('onDeadlineMiss') !== undefined) {
    const text = scalarText(node('onDeadlineMiss'));
    if (text !== 'log' && text !== 'stop') failNamed('onDeadlineMiss', 'must be log or stop');
    else if (timeCapacityMs === null) failNamed('onDeadlineMiss', 'needs timeCapacityMs: without a time capacity a job has no deadline to miss');
    else onDeadlineMiss = text;
  }

  let nice: number | null = null;
  if (node('nice') !== undefined && !isNullScalar(node('nice') ?? null)) {
    nice = wholeNumber(node('nice'), -20, 19);
    if (nice === null) failNamed('nice', 'must be a whole number from -20 (highest priority) to 19 (lowest)');
  }

  let nodeName: string | null = null;
  if (node('node') !== undefined && !isNullScalar(node('node') ?? null)) {
    const text = scalarText(node('node'));
    if (text === null || text === '' || text.length > 253) failNamed('node', 'must be the name of a node of the fleet (sigma nodes lists them)');
    else nodeName = text;
  }

  const labels: Record<string, string> = {};
  const placementNode = node('placement');
  if (placementNode !== undefined && !isNullScalar(placementNode)) {
    const labelsNode = isMap(placementNode) ? placementNode.items.find((pair) => keyName(pair) === 'labels') : undefined;
    if (!isMap(placementNode) || placementNode.items.some((pair) => keyName(pair) !== 'labels') || (labelsNode && !isMap(labelsNode.value))) {
      failNamed('placement', 'must be a mapping with "labels:", a mapping of the node labels it needs (e.g. labels: {rig: a})');
    } else if (labelsNode && isMap(labelsNode.value)) {
      for (const pair of labelsNode.value.items) {
        const value = scalarText(pair.value as Node | null);
        if (value === null) problem((pair.value as Node | null) ?? (pair.key as Node), `${label}.placement.labels.${keyName(pair)} must be a string or a number`);
        else labels[keyName(pair)] = value;
      }
    }
  }

  let relocatable = false;
  if (node('relocatable') !== undefined && !isNullScalar(node('relocatable') ?? null)) {
    const text = scalarText(node('relocatable'));
    if (text !== 'true' && text !== 'false') failNamed('relocatable', 'must be true or false');
    else relocatable = text === 'true';
  }

  let state: DesiredState = 'started';
  if (node('state') !== undefined) {
    const text = scalarText(node('state'))?.toLowerCase() ?? null;
    if (text !== null && (DESIRED_STATES as readonly string[]).includes(text)) state = text as DesiredState;
    else failNamed('state', `must be one of ${DESIRED_STATES.join(', ')}`);
  }
  if (state === 'once' && type === 'PERIODIC') failNamed('state', '"once" is for ONE_SHOT processes; a PERIODIC one is started or stopped');

  if (problems.length !== countBefore || name === null || type === null) return null;
  return { name, type, period, command, cwd, env, partition, stopTimeoutMs, restart, timeCapacityMs, onDeadlineMiss, nice, node: nodeName, labels, relocatable, state, line: lineOf(map) };
}
