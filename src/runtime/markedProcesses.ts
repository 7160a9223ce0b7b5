// Every job carries its node's id and its process's id in its environment, and passes them on
// to whatever it starts. That mark finds what left a job's process group (setsid, a daemon
// that double-forks) and what a daemon that died left behind, without cgroups.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { allPids, isSameLiveProcess, readProcStat } from './processGroup.js';

export const NODE_ID_VARIABLE = 'SIGMA_NODE_ID';
export const PROCESS_ID_VARIABLE = 'SIGMA_PROCESS_ID';

const POLL_MS = 20;
/** After SIGKILL, how long a process may take to go before it is reported as left. */
const KILL_WAIT_MS = 5000;

export interface MarkedProcess {
  readonly pid: number;
  readonly startTicks: number;
  /** The sigma process whose job started it. */
  readonly processId: number;
}

/** The live processes marked with this node's id (a process whose environment cannot be read is skipped). */
export function findMarkedProcesses(nodeId: string): MarkedProcess[] {
  const nodeMark = `${NODE_ID_VARIABLE}=${nodeId}`;
  const found: MarkedProcess[] = [];
  for (const pid of allPids() ?? []) {
    if (pid === process.pid) continue;
    let environment: string;
    try {
      environment = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environment.includes(nodeMark)) continue;
    const variables = environment.split('\0');
    if (!variables.includes(nodeMark)) continue;
    const processId = Number(variables.find((entry) => entry.startsWith(`${PROCESS_ID_VARIABLE}=`))?.slice(PROCESS_ID_VARIABLE.length + 1));
    const stat = readProcStat(pid);
    if (!stat || stat.state === 'Z' || !Number.isInteger(processId)) continue;
    found.push({ pid, startTicks: stat.startTicks, processId });
  }
  return found;
}

/** Whether the process carries this node's mark; null when its environment cannot be read. */
export function hasNodeMark(pid: number, nodeId: string): boolean | null {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${NODE_ID_VARIABLE}=${nodeId}`);
  } catch {
    return null;
  }
}

export interface EndResult {
  /** Whether SIGKILL was needed. */
  readonly killed: boolean;
  /** Processes that could not be ended. */
  readonly left: readonly number[];
}

/**
 * SIGTERM (and SIGCONT, for a stopped one) to each process, SIGKILL to those still alive after
 * graceMs, or as soon as `hurry` aborts. A process is recognised by its start time, so a reused
 * pid is never signalled.
 */
export async function endProcesses(
  targets: readonly { pid: number; startTicks: number | null }[],
  graceMs: number,
  hurry?: AbortSignal,
): Promise<EndResult> {
  const alive = (): typeof targets => targets.filter((target) => isSameLiveProcess(target.pid, target.startTicks));
  const signalAll = (signal: NodeJS.Signals): void => {
    for (const target of alive()) {
      try {
        process.kill(target.pid, signal);
      } catch {
        // Gone in between, or not ours to signal: what is left is reported below.
      }
    }
  };
  signalAll('SIGTERM');
  signalAll('SIGCONT');
  if (await waitUntilGone(alive, graceMs, hurry)) return { killed: false, left: [] };
  signalAll('SIGKILL');
  await waitUntilGone(alive, KILL_WAIT_MS);
  return { killed: true, left: alive().map((target) => target.pid) };
}

async function waitUntilGone(alive: () => readonly unknown[], timeoutMs: number, hurry?: AbortSignal): Promise<boolean> {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    if (alive().length === 0) return true;
    if (performance.now() >= deadlineMs || hurry?.aborted) return false;
    await sleep(POLL_MS);
  }
}
