// What a job started outside its process group (setsid, a double fork), found by the mark it
// inherited and ended, so that after a STOP, a DELETE or a shutdown nothing of the process is left.
import { endProcesses, findMarkedProcesses } from '../runtime/markedProcesses.js';
import type { SupervisorLogger } from './supervisor.js';

/** Ends the strays of one process (or, with null, of every process of the node). */
export async function endStrays(nodeId: string, processId: number | null, graceMs: number, logger: SupervisorLogger): Promise<void> {
  const strays = findMarkedProcesses(nodeId).filter((found) => processId === null || found.processId === processId);
  if (strays.length === 0) return;
  const { left } = await endProcesses(strays, graceMs);
  logger.warn({ processId, pids: strays.map((stray) => stray.pid), left }, "ended processes that had left their job's process group");
}
