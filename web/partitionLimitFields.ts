// The limit and quota fields of the partition forms (new partition, edit limits) and the body they
// make. The form only turns text into numbers (sizes from MiB to bytes); the API judges the values.
import type { Partition, PartitionLimitsRequest } from './apiTypes.js';
import { el } from './elements.js';

export type LimitName = 'maxRunning' | 'cpu' | 'memoryBytes' | 'pids' | 'maxProcesses' | 'definitionBytes';

/** The fields given in MiB. */
const IN_MIB: ReadonlySet<LimitName> = new Set(['memoryBytes', 'definitionBytes']);

const MIB = 1_048_576;

export const LIMIT_FIELDS: ReadonlyArray<{ limit: LimitName; label: string; placeholder: string }> = [
  { limit: 'maxRunning', label: 'Max running', placeholder: 'e.g. 2' },
  { limit: 'cpu', label: 'CPU (cores)', placeholder: 'e.g. 0.5' },
  { limit: 'memoryBytes', label: 'Memory (MiB)', placeholder: 'e.g. 256' },
  { limit: 'pids', label: 'Pids', placeholder: 'e.g. 64' },
  { limit: 'maxProcesses', label: 'Max processes', placeholder: 'e.g. 1000' },
  { limit: 'definitionBytes', label: 'Definitions (MiB)', placeholder: 'e.g. 64' },
];

/** Empty text: null (no limit). A number: the limit (memory in MiB becomes bytes). Anything else
 * is sent as it is, so that the API's message says what it expects. */
export function limitValueOf(limit: LimitName, text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return trimmed;
  const value = Number(trimmed);
  return IN_MIB.has(limit) ? Math.round(value * MIB) : value;
}

/** What a field shows for a partition's limit: "" for none, sizes in MiB. */
export function limitTextOf(partition: Partition, limit: LimitName): string {
  const value = partition[limit];
  if (value === null) return '';
  return String(IN_MIB.has(limit) ? value / MIB : value);
}

/** The limits of a new partition: an empty field is left out (no such limit; the default quota for a quota). */
export function newPartitionLimitsOf(texts: Record<LimitName, string>): PartitionLimitsRequest {
  const request: PartitionLimitsRequest = {};
  for (const { limit } of LIMIT_FIELDS) {
    const value = limitValueOf(limit, texts[limit]);
    if (value !== null) request[limit] = value;
  }
  return request;
}

/** The labelled inputs, one per limit; ids are made from `idPrefix`. */
export function limitInputs(idPrefix: string): { fields: HTMLElement[]; inputs: Record<LimitName, HTMLInputElement> } {
  const inputs = {} as Record<LimitName, HTMLInputElement>;
  const fields = LIMIT_FIELDS.map(({ limit, label, placeholder }) => {
    const id = `${idPrefix}-${limit}`;
    const input = el('input', { attrs: { id, name: limit, type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder } });
    inputs[limit] = input;
    return el('div', { className: 'limit-field' }, [el('label', { text: label, attrs: { for: id } }), input]);
  });
  return { fields, inputs };
}
