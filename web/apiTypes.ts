// The shapes the daemon's API answers with, as the dashboard reads them.

export type ProcessState = 'DORMANT' | 'WAITING' | 'READY' | 'RUNNING' | 'SUSPENDEND';
export type ProcessType = 'ONE_SHOT' | 'PERIODIC';
export type Operation = 'START' | 'SUSPEND' | 'RESUME' | 'STOP';

export interface LastExit {
  code: number | null;
  signal: string | null;
  at: string;
  durationMs: number;
  error: string | null;
  /** The kernel's OOM killer ended it (its partition's memoryBytes). */
  oomKilled: boolean;
}

export interface ManagedProcess {
  id: number;
  name: string;
  /** Chosen at creation, fixed for the process's life. */
  partition: string;
  state: ProcessState;
  type: ProcessType;
  period: number | null;
  command: string[];
  cwd: string | null;
  env: Record<string, string>;
  stopTimeoutMs: number;
  /** ONE_SHOT: when its jobs are released again after they end; null: never. */
  restart: RestartPolicy | null;
  /** The jobs' scheduling priority, or null: the daemon's. */
  nice: number | null;
  /** A job's deadline is its release plus this; null: none. */
  timeCapacityMs: number | null;
  onDeadlineMiss: 'log' | 'stop' | null;
  deadlineMisses: number;
  pid: number | null;
  startedAt: string | null;
  nextReleaseAt: string | null;
  lastExit: LastExit | null;
  /** Why its jobs' output cannot be written to its log now (a full disk), else null. */
  outputError: string | null;
  runs: number;
  overruns: number;
  skipped: number;
  failures: number;
  restarts: number;
  createdAt: string;
  /** In a fleet only (absent on a node started without --fleet): the node that owns it. */
  node?: string;
  /** down: its node is down, and the process is shown as etcd last recorded it. */
  nodeStatus?: 'up' | 'down';
  /** Whether the fleet may move it to another node when its own is down. */
  relocatable?: boolean;
}

export type RestartPolicyName = 'never' | 'on-failure' | 'always';

export interface RestartPolicy {
  policy: RestartPolicyName;
  delayMs: number;
  maxDelayMs: number;
  limit: { count: number; windowMs: number };
}

/** A partition of GET /partitions: its limits (null: none), counts, usage and the limits that do not hold. */
export interface Partition {
  name: string;
  maxRunning: number | null;
  cpu: number | null;
  memoryBytes: number | null;
  pids: number | null;
  /** Quotas: processes defined in it, and bytes of their definitions together (null: none of its own). */
  maxProcesses: number | null;
  definitionBytes: number | null;
  processes: number;
  definitionBytesUsed: number;
  running: number;
  unenforced: Array<{ limit: string; reason: string }>;
  usage: { cpuMs: number | null; memoryBytes: number | null; pids: number | null };
  createdAt: string;
}

/** The limits of POST /partitions or PUT /partitions/{name}: absent keeps (or leaves unset), null removes. A
 * string only when the field was not a number: the API then says what it expects. */
export type PartitionLimitsRequest = Partial<Record<'maxRunning' | 'cpu' | 'memoryBytes' | 'pids' | 'maxProcesses' | 'definitionBytes', number | string | null>>;

/** A partition token as GET /partitions/{name}/tokens lists it; `token`, the secret, only in the answer that made it. */
export interface PartitionToken {
  id: number;
  partition: string;
  label: string | null;
  createdAt: string;
  token?: string;
}

export interface OperationResult {
  id: number;
  name: string;
  state: ProcessState;
  result: 'OK' | 'FAILED';
  reason?: string;
}

export interface Run {
  id: number;
  pid: number | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  releaseAt: string | null;
  releaseLatenessMs: number | null;
  error: string | null;
  endedBySigma: boolean;
  oomKilled: boolean;
  deadlineMissed: boolean;
}

export interface CreateRequest {
  name: string;
  type: ProcessType;
  /** A string only when the field was not a number: the API then says what it expects. */
  period?: number | string;
  command?: string[];
  cwd?: string;
  env?: Record<string, string>;
  state?: 'DORMANT' | 'RUNNING';
  /** Absent: the daemon's default (for a partition token, its own partition). */
  partition?: string;
  /** A delay is a string only when the field was not a number: the API then says what it expects. */
  restart?: { policy: RestartPolicyName; delayMs?: number | string };
  timeCapacityMs?: number | string;
  onDeadlineMiss?: 'log' | 'stop';
  nice?: number | string;
  /** In a fleet: the node to create it on; absent: the least loaded node that is up. */
  node?: string;
  relocatable?: boolean;
}

/** etcd as this node sees it: null on a node started without --fleet. */
export type FleetConnection = 'connected' | 'unreachable' | null;

/** What GET /node says of the fleet (the rest of its answer the page does not read). */
export interface NodeFacts {
  /** Its --node-name; null on a node started without --fleet. */
  nodeName: string | null;
  fleet: FleetConnection;
}

/** A node of GET /nodes. */
export interface FleetNode {
  name: string;
  url: string;
  labels: Record<string, string>;
  fingerprint: string | null;
  /** Where its jobs run: a relocatable process is only put on a node with the native launcher. */
  launcher: 'native' | 'in-process';
  status: 'up' | 'down';
  /** As it last said; null while down. */
  runningJobs: number | null;
  partitions: string[];
}

export interface NodeList {
  fleet: FleetConnection;
  nodes: FleetNode[];
}

/** One event of GET /events, as its `data:` line carries it. */
export type SigmaEvent =
  | { type: 'state'; id: number; processId: number; name: string; from: ProcessState; to: ProcessState; at: string; reason: string }
  // Its run has every field of GET /processes/{id}/runs but the run's id.
  | { type: 'run'; id: number; processId: number; name: string; at: string; run: Omit<Run, 'id'> }
  | { type: 'created'; id: number; processId: number; name: string; at: string; process: ManagedProcess }
  | { type: 'updated'; id: number; processId: number; name: string; at: string; process: ManagedProcess }
  | { type: 'deleted'; id: number; processId: number; name: string; at: string }
  | { type: 'gap'; id: number; at: string; message: string };
