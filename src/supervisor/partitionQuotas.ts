// The quotas a new or changed definition must fit: its partition's (maxProcesses,
// definitionBytes) and the node's ceiling (--max-processes, --max-total-definition-bytes).
import { definitionBytesOf } from '../core/definitionBytes.js';
import type { PartitionLimitsSet } from '../core/partition.js';
import type { ProcessDefinition } from '../core/processDefinition.js';
import { PartitionQuotaError, ProcessLimitError } from '../errors/sigmaErrors.js';

export interface NodeCeiling {
  readonly maxProcesses: number;
  readonly maxTotalDefinitionBytes: number;
}

/** What the node and one partition hold now (the definition being changed left out). */
export interface HeldNow {
  readonly nodeProcesses: number;
  readonly nodeDefinitionBytes: number;
  readonly partitionProcesses: number;
  readonly partitionDefinitionBytes: number;
}

type Quotas = Pick<PartitionLimitsSet, 'maxProcesses' | 'definitionBytes'>;

/** Definitions never change in place (an update replaces the object), so each is measured once. */
const measured = new WeakMap<ProcessDefinition, number>();

export function bytesOfDefinition(definition: ProcessDefinition): number {
  let bytes = measured.get(definition);
  if (bytes === undefined) {
    bytes = definitionBytesOf(definition.command, definition.env);
    measured.set(definition, bytes);
  }
  return bytes;
}

/**
 * Throws when one more process of `addedBytes` would not fit (`counted`: whether it adds a
 * process, false for an update); the node's ceiling is checked first.
 */
export function checkQuotas(partition: string, quotas: Quotas, node: NodeCeiling, held: HeldNow, addedBytes: number, counted: boolean): void {
  if (counted && held.nodeProcesses >= node.maxProcesses) {
    throw new ProcessLimitError(`the node has ${held.nodeProcesses} processes, the most --max-processes allows; delete one first`);
  }
  if (held.nodeDefinitionBytes + addedBytes > node.maxTotalDefinitionBytes) {
    throw new ProcessLimitError(
      `the node's definitions would take ${held.nodeDefinitionBytes + addedBytes} bytes, more than --max-total-definition-bytes (${node.maxTotalDefinitionBytes}) allows; nothing was changed`,
    );
  }
  if (counted && quotas.maxProcesses !== null && held.partitionProcesses >= quotas.maxProcesses) {
    throw new PartitionQuotaError(
      `partition "${partition}" has ${held.partitionProcesses} processes, its maxProcesses quota is ${quotas.maxProcesses}; nothing was changed (delete one, or raise the quota)`,
    );
  }
  if (quotas.definitionBytes !== null && held.partitionDefinitionBytes + addedBytes > quotas.definitionBytes) {
    throw new PartitionQuotaError(
      `partition "${partition}": its processes' definitions would take ${held.partitionDefinitionBytes + addedBytes} bytes, its definitionBytes quota is ${quotas.definitionBytes}; nothing was changed`,
    );
  }
}
