// What must hold between any two requests, checked against the kernel's view in /proc:
// every RUNNING process has a live job that leads its own group and is a child of the daemon;
// every SUSPENDEND job is stopped; no two processes share a job; no process has two jobs at once.
// The daemon's view is read before and after /proc; a process whose view moved in between is
// left for the next check (its job may have just ended), so nothing here depends on timing.
import { readdirSync, readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProcessView = any;

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  /** Field 22 of /proc/<pid>/stat: tells a reused pid from the process seen before. */
  startTicks: string;
  /** SIGMA_PROCESS_ID from its environment: set once the job has exec'd; null before. */
  sigmaProcessId: number | null;
}

export function readProcEntry(pid: number): ProcEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let sigmaProcessId: number | null = null;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      const entry = environ.find((variable) => variable.startsWith('SIGMA_PROCESS_ID='));
      if (entry) sigmaProcessId = Number(entry.slice('SIGMA_PROCESS_ID='.length));
    } catch {
      // Gone, or not readable: the job is identified by its pid alone.
    }
    return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), startTicks: fields[19] ?? '', sigmaProcessId };
  } catch {
    return null;
  }
}

export const isLive = (entry: ProcEntry | null | undefined): entry is ProcEntry => !!entry && entry.state !== 'Z' && entry.state !== 'X';

/** The daemon's children (the leaders of its jobs) and every member of their groups. */
export function jobsInProc(daemonPid: number): { children: ProcEntry[]; byGroup: Map<number, ProcEntry[]> } {
  const entries = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcEntry(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== null);
  const children = entries.filter((entry) => entry.ppid === daemonPid);
  const groups = new Set(children.map((child) => child.pid));
  const byGroup = new Map<number, ProcEntry[]>();
  for (const entry of entries) {
    if (!groups.has(entry.pgid)) continue;
    byGroup.set(entry.pgid, [...(byGroup.get(entry.pgid) ?? []), entry]);
  }
  return { children, byGroup };
}

/** A job that cannot end by itself while a test runs, so its absence is never a race. */
export const isLongJob = (process: ProcessView): boolean => process.command?.[0] === 'sleep' && process.command?.[1] === '30';

const sameView = (a: ProcessView, b: ProcessView): boolean => a !== undefined && b !== undefined && a.state === b.state && a.pid === b.pid && a.startedAt === b.startedAt;

/**
 * The problems found, given the daemon's view before (`before`) and after (`after`) the read of
 * /proc (`proc`); `stillLive` re-reads a pid after `after` was taken.
 */
export function invariantProblems(
  daemonPid: number,
  before: ProcessView[],
  proc: ReturnType<typeof jobsInProc>,
  after: ProcessView[],
  stillLive: (entry: ProcEntry) => boolean = (entry) => {
    const now = readProcEntry(entry.pid);
    return isLive(now) && now.startTicks === entry.startTicks;
  },
): string[] {
  const problems: string[] = [];
  const procByPid = new Map<number, ProcEntry>();
  for (const members of proc.byGroup.values()) for (const entry of members) procByPid.set(entry.pid, entry);
  for (const child of proc.children) procByPid.set(child.pid, child);

  for (const [label, view] of [['before', before], ['after', after]] as const) {
    const owners = new Map<number, number>();
    for (const process of view) {
      if (process.pid === null) continue;
      const other = owners.get(process.pid);
      if (other !== undefined) problems.push(`processes ${other} and ${process.id} both show pid ${process.pid} (${label})`);
      owners.set(process.pid, process.id);
      if (process.state === 'DORMANT' || process.state === 'WAITING') problems.push(`process ${process.id} is ${process.state} with pid ${process.pid} (${label})`);
    }
    for (const process of view) {
      if (process.state === 'RUNNING' && process.pid === null) problems.push(`process ${process.id} is RUNNING without a pid (${label})`);
    }
  }

  const beforeById = new Map<number, ProcessView>(before.map((process) => [process.id, process]));
  for (const process of after) {
    if (!sameView(beforeById.get(process.id), process) || process.pid === null) continue;
    const leader = procByPid.get(process.pid);
    const where = `process ${process.id} (${process.state}, pid ${process.pid}, command ${JSON.stringify(process.command)})`;
    if (!leader || leader.state === 'Z' || leader.state === 'X') {
      if (isLongJob(process)) problems.push(`${where}: no live process ${process.pid} in /proc (${leader ? `state ${leader.state}` : 'gone'})`);
      continue;
    }
    if (leader.pgid !== leader.pid) problems.push(`${where}: not the leader of its own group (pgid ${leader.pgid})`);
    if (leader.ppid !== daemonPid) problems.push(`${where}: parent is ${leader.ppid}, not the jobs' parent ${daemonPid} (the launcher, or the daemon)`);
    if (leader.sigmaProcessId !== null && leader.sigmaProcessId !== process.id) {
      problems.push(`${where}: the job's SIGMA_PROCESS_ID is ${leader.sigmaProcessId}`);
    }
    if (process.state === 'SUSPENDEND') {
      for (const member of (proc.byGroup.get(process.pid) ?? []).filter(isLive)) {
        if (member.state !== 'T') problems.push(`${where}: member ${member.pid} of its group is in state ${member.state}, not T (stopped)`);
      }
    }
  }

  // No process has two jobs: the daemon's live children, by the process they run for.
  const jobsOf = new Map<number, ProcEntry[]>();
  for (const child of proc.children.filter(isLive)) {
    if (child.sigmaProcessId === null) continue; // not yet exec'd
    if (child.pgid !== child.pid) problems.push(`job ${child.pid} of process ${child.sigmaProcessId} is not the leader of its own group (pgid ${child.pgid})`);
    jobsOf.set(child.sigmaProcessId, [...(jobsOf.get(child.sigmaProcessId) ?? []), child]);
  }
  const afterById = new Map<number, ProcessView>(after.map((process) => [process.id, process]));
  for (const [processId, jobs] of jobsOf) {
    const live = jobs.filter(stillLive);
    if (live.length > 1) problems.push(`process ${processId} has ${live.length} jobs at once: pids ${live.map((job) => job.pid).join(', ')}`);
    // A job alive both before and after the second view must be the one that view shows.
    for (const job of live) {
      const shown = afterById.get(processId);
      if (shown?.pid !== job.pid) {
        problems.push(`job ${job.pid} of process ${processId} is alive, but the daemon shows ${shown ? `${shown.state} with pid ${shown.pid}` : 'no such process'}`);
      }
    }
  }
  return problems;
}
