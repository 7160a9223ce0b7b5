// Signals to whole process groups, and the truth about them read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export type GroupSignal = 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL';

export type SignalResult = 'sent' | 'gone' | 'refused';

/**
 * Signals every process in the group. Never throws: a group that is already gone is `gone`,
 * and one holding a process sigma may not signal (EPERM: it changed its user) is `refused`.
 */
export function signalGroup(pgid: number, signal: GroupSignal | 0): SignalResult {
  try {
    process.kill(-pgid, signal);
    return 'sent';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'refused';
  }
}

export interface ProcStat {
  readonly pid: number;
  /** One letter: R running, S sleeping, T stopped, Z zombie, ... */
  readonly state: string;
  readonly pgrp: number;
  /** When the process started, in clock ticks after boot: tells it from a later one with its pid. */
  readonly startTicks: number;
}

export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    state: fields[0] ?? '?',
    pgrp: Number(fields[2]),
    startTicks: Number(fields[19]),
  };
}

/** The pids of every process on the node now; null if /proc cannot be read. */
export function allPids(): number[] | null {
  try {
    return readdirSync('/proc')
      .map(Number)
      .filter((pid) => Number.isInteger(pid));
  } catch {
    return null;
  }
}

/** Every process currently in the group, zombies included; null if /proc cannot be read. */
export function groupMembers(pgid: number): ProcStat[] | null {
  const pids = allPids();
  if (pids === null) return null;
  const members: ProcStat[] = [];
  for (const pid of pids) {
    const stat = readProcStat(pid);
    if (stat && stat.pgrp === pgid) members.push(stat);
  }
  return members;
}

/** Whether the process is alive (not a zombie), and the same one as when `startTicks` was read. */
export function isSameLiveProcess(pid: number, startTicks: number | null): boolean {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === null || stat.startTicks === startTicks;
}

/**
 * Whether anything of the group is still alive. A zombie is dead: on hosts whose init does
 * not reap orphans, killed grandchildren stay as zombies that no signal can remove. The cheap
 * kill(0) answers most calls; /proc is read only when it says someone is there.
 */
export function groupAlive(pgid: number): boolean {
  if (signalGroup(pgid, 0) === 'gone') return false;
  const members = groupMembers(pgid);
  return members === null || members.some((member) => member.state !== 'Z' && member.state !== 'X');
}

/** Whether the leader already shows what `stopped` asks (stopped, or not), or is gone: nothing to signal. */
export function showsStopState(pid: number, stopped: boolean): boolean {
  const stat = readProcStat(pid);
  return !stat || stat.state === 'Z' || (stat.state === 'T') === stopped;
}

/** Waits (bounded) until the process is stopped (`T`) or running again, or gone. */
export async function waitForStopState(pid: number, stopped: boolean, timeoutMs: number): Promise<void> {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    if (showsStopState(pid, stopped)) return;
    if (performance.now() >= deadlineMs) return;
    await sleep(1);
  }
}
