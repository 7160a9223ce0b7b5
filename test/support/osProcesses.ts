// The OS truth, read with ps(1) independently of the daemon's own /proc code.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface PsEntry {
  pid: number;
  pgid: number;
  state: string;
}

export function psAll(): PsEntry[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, pgid, stat]) => ({ pid: Number(pid), pgid: Number(pgid), state: (stat ?? '?').charAt(0) }));
}

/** Live (non-zombie) members of a process group. */
export function liveGroupMembers(pgid: number): PsEntry[] {
  return psAll().filter((entry) => entry.pgid === pgid && entry.state !== 'Z' && entry.state !== 'X');
}

/** The one-letter state of a process from /proc/<pid>/stat, or null when it is gone. */
export function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  const state = procState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** Ends a whole process group a test started (directly or through the daemon), if anything is left. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Field 22 of /proc/<pid>/stat (when it started), or null when it is gone: tells a reused pid. */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
