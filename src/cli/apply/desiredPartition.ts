// What an apply file asks for: one partition and exactly its limits.
import type { PartitionLimitsJson } from '../apiTypes.js';

export interface DesiredPartition {
  name: string;
  /** The limits as the file gives them; one it leaves out is null: no such limit. */
  limits: PartitionLimitsJson;
  /** Where the entry starts in the file, for messages. */
  line: number;
}
