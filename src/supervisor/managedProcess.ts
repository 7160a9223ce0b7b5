// What the supervisor keeps for each process: its definition, its snapshot, the handle of its
// live job, and the chain that serialises everything done to it.
import type { ProcessDefinition } from '../core/processDefinition.js';
import type { ProcessSnapshot, WireState } from '../core/processModel.js';
import type { HostedJob, StateEvent } from '../runtime/jobHost.js';

export interface ManagedProcess {
  /** Replaced only by an update, while DORMANT. */
  definition: ProcessDefinition;
  snapshot: ProcessSnapshot;
  job: HostedJob | null;
  /** Its last job ran without a cgroup of its own: what left its group is found by its mark. */
  lastJobOutsideCgroup: boolean;
  /** Tail of this process's queue of steps: operations and events run one at a time, in order. */
  chain: Promise<unknown>;
  deleted: boolean;
  /** The state last reported outside (log): transient phases inside one step are not reported. */
  reportedState: WireState;
  /** The environment of its jobs (the daemon's plus its own), made once rather than per release. */
  jobEnv: Readonly<Record<string, string>>;
  /** The launcher's events of it not yet applied, in order. */
  inbox: StateEvent[];
  /** The last launcher event applied to it (stored with its state). */
  launcherSeq: number;
  /**
   * What a previous daemon left running of it, being ended while the daemon serves: until it is
   * gone the process takes no operation. Aborting `hurry` sends SIGKILL at once.
   */
  leftover: { readonly pids: readonly number[]; readonly hurry: AbortController } | null;
}

/** A read-only view for the API: the definition and the snapshot at one instant. */
export interface ProcessReading {
  readonly definition: ProcessDefinition;
  readonly snapshot: ProcessSnapshot;
  /** Why its jobs' output cannot be written to its log now, else null. */
  readonly outputError: string | null;
}
