// Reading the nodes of an apply file: scalars as the file spells them, keys, whole numbers, and
// the problems found, each with its line. Shared by the readers of processes and partitions.
import { isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { nearestWord } from '../../core/nearestWord.js';

export interface FileProblem {
  line: number;
  message: string;
}

/** The line a node starts on (1 for a node the file leaves out). */
export type LineOf = (node: Node | null | undefined) => number;

export function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

export function isNullScalar(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** A scalar as the file spells it (so that `10`, `true` or `1.50` in a command stay what was written). */
export function scalarText(node: Node | null | undefined): string | null {
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') return null;
  if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
  return String(node.value);
}

export function wholeNumber(node: Node | null | undefined, min: number, max: number): number | null {
  if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) return null;
  return node.value >= min && node.value <= max ? node.value : null;
}

/** The values of a mapping by key; each key that is not one of `fields` is reported, with a near one if any. */
export function knownFields(map: YAMLMap, where: string, fields: readonly string[], problem: (node: Node, message: string) => void): Map<string, Node | null> {
  const values = new Map<string, Node | null>();
  for (const pair of map.items) {
    const key = keyName(pair);
    if (fields.includes(key)) values.set(key, (pair.value as Node | null) ?? null);
    else problem(pair.key as Node, unknownFieldMessage(where, key, fields));
  }
  return values;
}

/** The message for a key that is not one of `fields`, with the nearest one when it looks like a typo or a short form (memory). */
export function unknownFieldMessage(where: string, key: string, fields: readonly string[]): string {
  const near = nearestWord(key, fields);
  return `${where}: unknown field "${key}"${near ? ` (did you mean "${near}"?)` : ''}; the fields are ${fields.join(', ')}`;
}
