// Finds the processes the daemon under test started that are still on the machine: `ps` lists
// every process, and a job is known by the marker variable it inherited from the daemon's
// environment (other daemons' jobs on a shared machine do not carry it). Ends them by pid.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Leftover {
  readonly pid: number;
  readonly stat: string;
  readonly args: string;
}

export function findMarkedProcesses(marker: { name: string; value: string }, excludePids: readonly number[]): Leftover[] {
  const listing = execFileSync('ps', ['-e', '-ww', '-o', 'pid=,stat=,args='], { encoding: 'utf8' });
  const needle = `\0${marker.name}=${marker.value}\0`;
  const found: Leftover[] = [];
  for (const line of listing.split('\n')) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || excludePids.includes(pid)) continue;
    let environ: string;
    try {
      environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (environ.includes(needle)) found.push({ pid, stat: match[2] as string, args: match[3] as string });
  }
  return found;
}

export function killByPid(leftovers: readonly Leftover[]): void {
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
