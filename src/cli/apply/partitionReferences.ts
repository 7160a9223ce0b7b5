// Checked before anything is done: each partition a process of the file names is on the node or
// declared in the file; and with --prune, not one that the prune would delete under it.
import { DEFAULT_PARTITION } from '../../core/partition.js';
import type { DesiredPartition } from './desiredPartition.js';
import type { DesiredProcess } from './desiredProcess.js';
import type { FileProblem } from './yamlNodes.js';

export interface PartitionReferenceProblems {
  problems: FileProblem[];
  /** Whether a partition named is nowhere (exit 3), rather than only one that --prune would delete (exit 2). */
  missing: boolean;
}

/**
 * `processes`: the file's, in its order; `declared`: its partitions (null: no "partitions:" key);
 * `onNode`: the names of the node's partitions (a partition token sees its own only).
 */
export function partitionReferenceProblems(
  processes: DesiredProcess[],
  declared: DesiredPartition[] | null,
  onNode: readonly string[],
  prune: boolean,
): PartitionReferenceProblems {
  const inFile = new Set((declared ?? []).map((partition) => partition.name));
  const existing = new Set(onNode);
  const problems: FileProblem[] = [];
  let missing = false;
  processes.forEach((wanted, index) => {
    const name = wanted.partition;
    // default always exists; a partition token that does not see it is answered by the API.
    if (name === null || name === DEFAULT_PARTITION || inFile.has(name)) return;
    const where = `processes[${index}] (${wanted.name}).partition`;
    if (!existing.has(name)) {
      missing = true;
      problems.push({
        line: wanted.line,
        message: `${where}: there is no partition "${name}" on the node, and the file does not declare it: add it under "partitions:", or create it with \`sigma partition create ${name}\``,
      });
    } else if (declared !== null && prune) {
      problems.push({
        line: wanted.line,
        message: `${where}: "${name}" is not under "partitions:", so --prune would delete it: add it there (its limits then are the file's)`,
      });
    }
  });
  return { problems, missing };
}
