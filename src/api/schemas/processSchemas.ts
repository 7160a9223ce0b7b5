// The API's schemas: they validate requests, type the handlers and make the OpenAPI document.
import { Type, type Static } from 'typebox';
import { DEADLINE_MISS_ACTIONS, OPERATIONS, PROCESS_TYPES, RESTART_POLICIES, WIRE_STATES } from '../../core/processModel.js';
import { ERROR_CODES } from '../../errors/sigmaErrors.js';
import { StringEnum } from './stringEnum.js';

export const LIMITS = {
  nameLength: 64,
  argvEntries: 256,
  argLength: 4096,
  pathLength: 4096,
  envEntries: 256,
  envValueLength: 32768,
  maxPeriodMs: 2_147_483_647,
  maxStopTimeoutMs: 3_600_000,
  defaultStopTimeoutMs: 5000,
  maxRestartDelayMs: 86_400_000,
  defaultRestartDelayMs: 1000,
  defaultRestartMaxDelayMs: 60_000,
  defaultRestartLimitCount: 5,
  defaultRestartLimitWindowMs: 60_000,
  maxRestartLimitCount: 1000,
  maxRestartLimitWindowMs: 604_800_000,
  maxTimeCapacityMs: 2_147_483_647,
} as const;

/** `SUSPENDED` is accepted wherever a client sends a state, for the contract's `SUSPENDEND`. */
export const STATES_ACCEPTED = [...WIRE_STATES, 'SUSPENDED'] as const;
/** What a process may be created in: DORMANT, or started at once. */
export const CREATE_STATES = ['DORMANT', 'READY', 'RUNNING'] as const;

const NO_NUL = '^[^\\u0000]*$';

/** Names of processes and of partitions. */
const NAME_PATTERN = `^(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,${LIMITS.nameLength}}$`;
const NAME_RULE = `1 to ${LIMITS.nameLength} letters, digits, "_", "-" or "." (not "." or "..")`;

const CWD_PATTERN = `^/[^\\u0000]{0,${LIMITS.pathLength - 1}}$`;

/** What a value of each pattern is, in words: for the message that refuses one (see validationMessage). */
export const PATTERN_RULES: Readonly<Record<string, string>> = {
  [NAME_PATTERN]: NAME_RULE,
  [NO_NUL]: 'text without NUL bytes',
  [CWD_PATTERN]: `an absolute path: "/" and up to ${LIMITS.pathLength - 1} more characters, none of them NUL`,
};

export const PartitionName = Type.String({
  pattern: NAME_PATTERN,
  description: `Unique on the node: ${NAME_RULE}.`,
  examples: ['lab'],
});

export const ProcessName = Type.String({
  pattern: NAME_PATTERN,
  description: `Unique on the node: ${NAME_RULE}.`,
  examples: ['motors_checkup'],
});

const ProcessTypeSchema = StringEnum(PROCESS_TYPES, {
  description: 'ONE_SHOT runs once per START; PERIODIC is released every `period` milliseconds.',
});

const Command = Type.Array(Type.String({ maxLength: LIMITS.argLength, pattern: NO_NUL, description: 'One argument: any text without NUL bytes.' }), {
  minItems: 1,
  maxItems: LIMITS.argvEntries,
  description: 'The argv to execute, without a shell. argv[0] is looked up in PATH unless it holds a "/".',
  examples: [['sleep', '30']],
});

const Env = Type.Record(
  Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  Type.String({ maxLength: LIMITS.envValueLength, pattern: NO_NUL, description: 'A value: any text without NUL bytes.' }),
  {
    maxProperties: LIMITS.envEntries,
    additionalProperties: false,
    description: "Variables added to the daemon's environment for this process's jobs; names are letters, digits and _, not starting with a digit.",
  },
);

const Cwd = Type.String({
  pattern: CWD_PATTERN,
  description: "Absolute working directory of the jobs (default: the daemon's).",
});

const Period = Type.Integer({
  minimum: 1,
  maximum: LIMITS.maxPeriodMs,
  description: 'Period duration in milliseconds (PERIODIC only, required for it).',
});

const StopTimeoutMs = Type.Integer({
  minimum: 0,
  maximum: LIMITS.maxStopTimeoutMs,
  description: `Grace in milliseconds between SIGTERM and SIGKILL when a job is stopped (default ${LIMITS.defaultStopTimeoutMs}).`,
});

const RestartDelayMs = (description: string) => Type.Integer({ minimum: 1, maximum: LIMITS.maxRestartDelayMs, description });

const RestartBody = Type.Object(
  {
    policy: StringEnum(RESTART_POLICIES, {
      description: '`on-failure`: restart a job that ended with a non-zero code or a signal sigma did not send (or could not start); `always`: any end that was not a STOP, DELETE or shutdown; `never`: as without a policy.',
    }),
    delayMs: Type.Optional(RestartDelayMs(`Delay before the first restart in a row (default ${LIMITS.defaultRestartDelayMs}); it doubles after each consecutive restart.`)),
    maxDelayMs: Type.Optional(
      RestartDelayMs(`The longest delay (default ${LIMITS.defaultRestartMaxDelayMs}); after a job that ran longer than this, the delay starts again from delayMs.`),
    ),
    limit: Type.Optional(
      Type.Object(
        {
          count: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxRestartLimitCount, description: `Most restarts inside the window (default ${LIMITS.defaultRestartLimitCount}).` })),
          windowMs: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxRestartLimitWindowMs, description: `The window, in milliseconds (default ${LIMITS.defaultRestartLimitWindowMs}).` })),
        },
        { additionalProperties: false, description: 'A job that ends when `count` restarts happened inside `windowMs` is not restarted: the process is left DORMANT.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'ONE_SHOT only: when a job that ended is released again.' },
);
export type RestartBody = Static<typeof RestartBody>;

const Restart = Type.Union([RestartBody, Type.Null()], {
  description: 'ONE_SHOT only: the restart policy; null or absent: never restarted.',
});

const TimeCapacityMs = Type.Union([Type.Integer({ minimum: 1, maximum: LIMITS.maxTimeCapacityMs }), Type.Null()], {
  description:
    "APEX time capacity, in milliseconds: a job's deadline is its release (a PERIODIC release point, or the START of a ONE_SHOT job) plus this, later by the time it spends SUSPENDEND. A job still running then misses its deadline (see onDeadlineMiss). PERIODIC: at most `period`. null or absent: no deadline.",
});

const OnDeadlineMiss = StringEnum(DEADLINE_MISS_ACTIONS, {
  description:
    '`log` (default): the job runs on; the miss is counted (deadlineMisses), told as a deadlineMissed event and marked in its run. `stop`: also ends the job as STOP does (SIGTERM to its group, SIGKILL after stopTimeoutMs), a failure; a PERIODIC process then waits for its next release, a ONE_SHOT one is left to its restart policy. Needs timeCapacityMs.',
});

const Nice = Type.Union([Type.Integer({ minimum: -20, maximum: 19 }), Type.Null()], {
  description: "The jobs' scheduling priority, -20 (highest) to 19 (lowest), set with setpriority before exec; null: the daemon's. A value below the daemon's own needs root, CAP_SYS_NICE or RLIMIT_NICE: refused (400) where the node cannot give it.",
});

export const CreateProcessBody = Type.Object(
  {
    name: ProcessName,
    type: Type.Optional(ProcessTypeSchema),
    period: Type.Optional(Period),
    state: Type.Optional(
      StringEnum(CREATE_STATES, {
        description: 'DORMANT (default) creates the process; READY or RUNNING creates and starts it at once.',
      }),
    ),
    command: Type.Optional(Command),
    cwd: Type.Optional(Cwd),
    env: Type.Optional(Env),
    stopTimeoutMs: Type.Optional(StopTimeoutMs),
    restart: Type.Optional(Restart),
    timeCapacityMs: Type.Optional(TimeCapacityMs),
    onDeadlineMiss: Type.Optional(OnDeadlineMiss),
    nice: Type.Optional(Nice),
    partition: Type.Optional({
      ...PartitionName,
      description: 'The partition it belongs to, for good (default: `default`, or the partition of the token sent).',
    }),
    node: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: "The node it is created on (its --node-name; on a node started without --fleet, only that node's host name). 409 SIGMA_ERR_NO_NODE_MATCHES if it is down, unknown, or lacks the partition.",
      }),
    ),
    placement: Type.Optional(
      Type.Object(
        {
          labels: Type.Optional(
            Type.Record(Type.String({ minLength: 1, maxLength: 63 }), Type.String({ maxLength: 63 }), {
              maxProperties: 32,
              description: 'Every one of these --node-label pairs must be on the node.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Without `node`: the least loaded up node (fewest running jobs) with these labels and the partition.' },
      ),
    ),
    relocatable: Type.Optional(
      Type.Boolean({ description: 'In a fleet: it may be moved to another node when its own is down (default false). Kept in etcd with the process.' }),
    ),
  },
  {
    additionalProperties: false,
    title: 'ProcessCreate',
    description: 'A new process. Without `command`, the executable named `name` in the programs directory is run.',
  },
);
export type CreateProcessBody = Static<typeof CreateProcessBody>;

export const UpdateProcessBody = Type.Object(
  {
    type: Type.Optional(ProcessTypeSchema),
    period: Type.Optional(Period),
    command: Type.Optional(Command),
    cwd: Type.Optional(Type.Union([Cwd, Type.Null()], { description: "Absolute working directory; null for the daemon's." })),
    env: Type.Optional(Env),
    stopTimeoutMs: Type.Optional(StopTimeoutMs),
    restart: Type.Optional(Restart),
    timeCapacityMs: Type.Optional(TimeCapacityMs),
    onDeadlineMiss: Type.Optional(OnDeadlineMiss),
    nice: Type.Optional(Nice),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    title: 'ProcessUpdate',
    description:
      'The fields to change; the others keep their value. `env` replaces the whole set. Changing `type` to ONE_SHOT drops the period; to PERIODIC it needs `period` and drops the restart policy. The name never changes.',
  },
);
export type UpdateProcessBody = Static<typeof UpdateProcessBody>;

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

export const IsoTime = (description: string) => Nullable(Type.String({ format: 'date-time' }), description);

const LastExit = Type.Object(
  {
    code: Nullable(Type.Integer(), 'Exit code, or null when the job ended by a signal or never started.'),
    signal: Nullable(Type.String(), 'The signal that ended the job (e.g. SIGTERM), or null.'),
    at: Type.String({ format: 'date-time', description: 'When the job ended (or the spawn failed), ISO 8601 UTC.' }),
    durationMs: Type.Number({ description: 'How long the job ran, in milliseconds.' }),
    error: Nullable(Type.String(), 'Why the job could not be started, or null.'),
    oomKilled: Type.Boolean({ description: "True when the kernel's OOM killer ended it (its partition's memoryBytes)." }),
  },
  { description: 'How the last job ended, or why it could not start.' },
);

export const ProcessSchema = Type.Object(
  {
    id: Type.Integer({ minimum: 1, description: 'Given by the node; never reused, also across restarts.' }),
    name: Type.String({ description: 'Unique on the node.' }),
    partition: Type.String({ description: 'The partition it belongs to.' }),
    state: StringEnum(WIRE_STATES, { description: 'The state, as the contract spells it (SUSPENDEND for suspended).' }),
    type: ProcessTypeSchema,
    period: Nullable(Type.Integer(), 'Period duration in milliseconds; null for ONE_SHOT.'),
    command: Type.Array(Type.String(), { description: 'The argv executed for each job.' }),
    cwd: Nullable(Type.String(), 'Working directory of the jobs; null for the daemon\'s.'),
    env: Type.Record(Type.String(), Type.String(), { description: "Variables added to the daemon's environment." }),
    stopTimeoutMs: Type.Integer({ description: 'Grace between SIGTERM and SIGKILL, in milliseconds.' }),
    restart: Nullable(
      Type.Object(
        {
          policy: StringEnum(RESTART_POLICIES, { description: 'on-failure or always (never is shown as a null policy).' }),
          delayMs: Type.Integer({ description: 'Delay before the first restart in a row, in milliseconds.' }),
          maxDelayMs: Type.Integer({ description: 'The longest delay, in milliseconds.' }),
          limit: Type.Object(
            {
              count: Type.Integer({ description: 'Most restarts inside the window.' }),
              windowMs: Type.Integer({ description: 'The window, in milliseconds.' }),
            },
            { description: 'When sigma gives up.' },
          ),
        },
        { description: 'The restart policy, with its defaults filled in.' },
      ),
      'The restart policy (ONE_SHOT), or null: never restarted.',
    ),
    timeCapacityMs: Nullable(Type.Integer(), "Time capacity in milliseconds: a job's deadline is its release plus this (time SUSPENDEND not counted); null: no deadline."),
    onDeadlineMiss: Nullable(
      StringEnum(DEADLINE_MISS_ACTIONS, { description: '`log`: the job runs on; `stop`: it is ended as STOP ends it.' }),
      'What is done with a job still running at its deadline; null without a time capacity.',
    ),
    nice: Nullable(Type.Integer(), "The jobs' scheduling priority (-20 to 19), or null: the daemon's."),
    pid: Nullable(Type.Integer(), 'Process id of the live job (leader of its process group), else null.'),
    startedAt: IsoTime('When the live job started, else null.'),
    nextReleaseAt: IsoTime('PERIODIC: the next release point while started and not suspended; ONE_SHOT: when a pending restart is due (WAITING); else null.'),
    lastExit: Nullable(LastExit, 'How the last job ended, or null if none has.'),
    outputError: Nullable(
      Type.String(),
      "Why its jobs' output cannot be written to its log now (e.g. ENOSPC: the disk is full), else null. The jobs keep running; their output is dropped until it can be written.",
    ),
    runs: Type.Integer({ description: 'Jobs started.' }),
    overruns: Type.Integer({ description: 'Release points that found the previous job still READY or RUNNING (skipped).' }),
    skipped: Type.Integer({ description: 'Release points that did not run for another reason: suspended, stopped while queued, or missed by a late timer.' }),
    failures: Type.Integer({ description: 'Spawn failures, and jobs that ended on their own with a non-zero code or a signal.' }),
    restarts: Type.Integer({ description: 'Jobs released again by the restart policy.' }),
    deadlineMisses: Type.Integer({ description: 'Jobs still running at their deadline (release plus timeCapacityMs).' }),
    createdAt: Type.String({ format: 'date-time', description: 'When the process was created, ISO 8601 UTC.' }),
    node: Type.Optional(Type.String({ description: 'In a fleet: the node that owns it (its --node-name). Absent on a node started without --fleet.' })),
    nodeStatus: Type.Optional(
      StringEnum(['up', 'down'] as const, {
        description: 'In a fleet: up while its node is; down: its node is down, and the process is shown as etcd last recorded it (after the last change made through the API).',
      }),
    ),
    relocatable: Type.Optional(Type.Boolean({ description: 'In a fleet: whether it may be moved to another node when its own is down (as created).' })),
  },
  { title: 'Process', description: 'A process and what the node knows of it now.' },
);
export type ProcessJson = Static<typeof ProcessSchema>;

export const ProcessList = Type.Object(
  { processes: Type.Array(ProcessSchema, { description: 'The processes, by id.' }) },
  { title: 'ProcessList', description: 'Processes, under the plural resource root.' },
);

// The forms of an operation request: what each branch of its anyOf pins down.
const START_ONLY = { const: 'START', description: 'START, the one operation that takes delayMs.' };
const ANY_OPERATION = { description: 'Any operation.' };
const NO_DELAY = { not: {}, description: 'Absent: delayMs is for START only.' };
const NOT_BOTH = { not: {}, description: 'Absent: operation and type are one field under two names.' };

export const OperationBody = Type.Object(
  {
    operation: Type.Optional(StringEnum(OPERATIONS, { description: 'The operation to perform.' })),
    type: Type.Optional(StringEnum(OPERATIONS, { description: 'Accepted in place of `operation` (the contract names the enum RequestOperationType).' })),
    delayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: LIMITS.maxRestartDelayMs,
        description: 'START only (DELAYED_START): the process is WAITING and its first release is this many milliseconds after the answer; a PERIODIC grid starts there. With another operation: 400.',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 2,
    // `operation` or `type`; `delayMs` with START only.
    anyOf: [
      { properties: { operation: START_ONLY, type: NOT_BOTH }, required: ['operation'] },
      { properties: { type: START_ONLY, operation: NOT_BOTH }, required: ['type'] },
      { properties: { operation: ANY_OPERATION, type: NOT_BOTH, delayMs: NO_DELAY }, required: ['operation'] },
      { properties: { type: ANY_OPERATION, operation: NOT_BOTH, delayMs: NO_DELAY }, required: ['type'] },
    ],
    title: 'OperationRequest',
    description: 'Exactly one of `operation` or `type`; `delayMs` only for START (a delayed start).',
  },
);
export type OperationBody = Static<typeof OperationBody>;

export const OperationResultSchema = Type.Object(
  {
    id: Type.Integer({ description: 'The process id.' }),
    name: Type.String({ description: 'The process name.' }),
    state: StringEnum(WIRE_STATES, { description: 'The state actually reached when the answer was sent.' }),
    result: StringEnum(['OK', 'FAILED'] as const, {
      description: "OK when the process is in the operation's target condition afterwards (whether or not anything had to change); FAILED otherwise, with the state unchanged.",
    }),
    reason: Type.Optional(Type.String({ description: 'Why the operation FAILED.' })),
  },
  { title: 'OperationResult', description: 'The result of an operation (RequestOperationResult).' },
);

export type OperationResultJson = Static<typeof OperationResultSchema>;

export const OperationResultList = Type.Object(
  { processes: Type.Array(OperationResultSchema, { description: 'One result, for the process operated on.' }) },
  { title: 'OperationResultList', description: 'The operation result, under the plural resource root.' },
);

export const ProcessIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The process id.' }),
});

/** The most processes one page of GET /processes holds (without `limit`, the list is not paged). */
export const LIST_PAGE_MAX = 10_000;

export const ListQuery = Type.Object(
  {
    process_name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Return only the process of this name; 404 if there is none.' })),
    state: Type.Optional(StringEnum(STATES_ACCEPTED, { description: 'Return only processes in this state (SUSPENDED is accepted for SUSPENDEND).' })),
    type: Type.Optional(StringEnum(PROCESS_TYPES, { description: 'Return only processes of this type.' })),
    partition: Type.Optional({ ...PartitionName, description: 'Return only the processes of this partition; 404 if there is none.' }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: LIST_PAGE_MAX, description: `At most this many processes, by id (up to ${LIST_PAGE_MAX}); without it, every one. A Link header names the next page.` }),
    ),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only the processes with a greater id: the next page, as the Link header names it.' })),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer({ description: 'The HTTP status, repeated.' }),
    code: StringEnum(ERROR_CODES, { description: 'A stable code for this kind of error.' }),
    error: Type.String({ description: 'The HTTP reason phrase.' }),
    message: Type.String({ description: 'What went wrong and, where it helps, what to do.' }),
  },
  { title: 'Error', description: 'Every error has this shape.' },
);

/** Also in GET /node. */
export const LEFTOVER_JOBS = Type.Integer({
  minimum: 0,
  description:
    'Processes whose job a previous daemon left running (it was killed with nothing holding its jobs: --launcher in-process, or its launcher died) and that are being ended now, while the daemon serves: SIGTERM, the process\'s stopTimeoutMs, SIGKILL. Until its own is gone, such a process shows that job (RUNNING, its old pid) and answers every operation FAILED "busy: ..." (DELETE: 409 SIGMA_ERR_PROCESS_BUSY); then it starts again if it was started. 0 once recovery is over.',
});

export const HealthSchema = Type.Object(
  {
    status: Type.Literal('ok', { description: 'Always "ok" while the daemon serves.' }),
    leftoverJobs: LEFTOVER_JOBS,
  },
  { title: 'Health', description: 'The daemon is up.' },
);
