// The fleet's fields of a process (node, nodeStatus, relocatable) are in the list and in the answers
// about one process, but not in the processes that events carry: those are this node's own.
import type { ManagedProcess } from './apiTypes.js';

/** The process with its fleet fields: as it came, or filled from what the page knew of it and of this node. */
export function withFleetFields(process: ManagedProcess, known: ManagedProcess | undefined, ownNodeName: string | null): ManagedProcess {
  if (process.node !== undefined) return process;
  // This node serves the page, so it is up.
  if (ownNodeName !== null) return { ...process, node: ownNodeName, nodeStatus: 'up', relocatable: known?.relocatable };
  if (known?.node === undefined) return process;
  return { ...process, node: known.node, nodeStatus: known.nodeStatus, relocatable: known.relocatable };
}
