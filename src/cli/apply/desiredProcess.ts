// What an apply file asks for: one process, its whole definition and the state it should be in.
import type { DesiredRestart } from './restartEntry.js';

/**
 * started: started and not suspended (a ONE_SHOT whose job ended is run again, as a service);
 * stopped: DORMANT; suspended: SUSPENDEND (started first if need be);
 * once: a ONE_SHOT started if it has never run, else left alone.
 */
export const DESIRED_STATES = ['started', 'stopped', 'suspended', 'once'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

export interface DesiredProcess {
  name: string;
  type: 'ONE_SHOT' | 'PERIODIC';
  period: number | null;
  /** null: the executable named after the process in the daemon's programs dir (not compared). */
  command: string[] | null;
  /** Absolute, or null for the daemon's working directory. */
  cwd: string | null;
  env: Record<string, string>;
  /** null: not said (the daemon's default, or a partition token's own), and not compared. */
  partition: string | null;
  stopTimeoutMs: number;
  /** The restart policy with its defaults (ONE_SHOT), null for none. */
  restart: DesiredRestart | null;
  /** The time capacity in milliseconds, null for none. */
  timeCapacityMs: number | null;
  /** What is done at a missed deadline (default log), null without a time capacity. */
  onDeadlineMiss: 'log' | 'stop' | null;
  /** The jobs' scheduling priority, null for the daemon's. */
  nice: number | null;
  /** In a fleet: the node it is on; null: not said (placed at creation, not compared). */
  node: string | null;
  /** In a fleet: the node labels its placement needs at creation (not compared). */
  labels: Record<string, string>;
  /** In a fleet: whether it may move to another node when its own is down. */
  relocatable: boolean;
  state: DesiredState;
  /** Where the entry starts in the file, for messages. */
  line: number;
}
