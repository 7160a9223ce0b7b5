// What an apply file asks for: one partition and exactly its limits.
import type { PartitionLimitsJson } from '../apiTypes.js';

/** Always on the node: its limits may be declared, but it is never created or deleted. */
export const DEFAULT_PARTITION = 'default';

export interface DesiredPartition {
  name: string;
  /** The limits as the file gives them; one it leaves out is null: no such limit. */
  limits: PartitionLimitsJson;
  /** Where the entry starts in the file, for messages. */
  line: number;
}
