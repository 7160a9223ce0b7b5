// The jobs a test has seen, each remembered with its start time from /proc, so that "what is
// left" is found, and ended, without ever signalling a process that merely got a reused pid
// (on a busy node pids wrap within a minute).
import { isLive, readProcEntry, type ProcEntry } from './jobInvariants.js';
import { liveGroupMembers } from './osProcesses.js';

export class SeenJobs {
  private readonly startTicksOf = new Map<number, string>();

  /** Remembers `pid` if it is alive now as a child of `daemonPid`: a job of that daemon. */
  note(pid: number, daemonPid: number): void {
    if (this.startTicksOf.has(pid)) {
      // The same pid again: a new job once the old one is gone.
      if (this.alive().some((entry) => entry.pid === pid)) return;
    }
    const entry = readProcEntry(pid);
    if (isLive(entry) && entry.ppid === daemonPid) this.startTicksOf.set(pid, entry.startTicks);
  }

  /** The remembered jobs still alive: the same pid with the same start time. */
  alive(): ProcEntry[] {
    return [...this.startTicksOf]
      .map(([pid, startTicks]) => {
        const entry = readProcEntry(pid);
        return isLive(entry) && entry.startTicks === startTicks ? entry : null;
      })
      .filter((entry): entry is ProcEntry => entry !== null);
  }

  /** Every live process in the group of a remembered job still alive, as ps shows it. */
  describeLeft(): string[] {
    return this.alive().flatMap((job) => liveGroupMembers(job.pid).map((member) => `${member.pid} (group ${job.pid}, state ${member.state})`));
  }

  /** SIGKILL to the group of every remembered job still alive. */
  endAll(): void {
    for (const job of this.alive()) {
      try {
        process.kill(-job.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  get size(): number {
    return this.startTicksOf.size;
  }
}
