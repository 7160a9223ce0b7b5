// Schemas of what the node remembers of a process: its runs, its output.
import { Type, type Static } from 'typebox';
import { RUNS_KEPT_PER_PROCESS } from '../../runtime/sqliteStore.js';
import { IsoTime, Nullable } from './processSchemas.js';
import { StringEnum } from './stringEnum.js';

export const RUNS_LIMIT = { default: 20, max: RUNS_KEPT_PER_PROCESS } as const;
export const LOG_TAIL_MAX_LINES = 100_000;

export const RunSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Increasing over the node; never reused.' }),
    pid: Nullable(Type.Integer(), 'The job\'s process id; null when it never started.'),
    startedAt: Type.String({ format: 'date-time', description: 'When the job started (or the spawn was tried).' }),
    endedAt: Type.String({ format: 'date-time', description: 'When the job and everything of its process group had gone.' }),
    durationMs: Type.Number({ description: 'endedAt - startedAt, in milliseconds.' }),
    exitCode: Nullable(Type.Integer(), 'The exit code; null when a signal ended it or it never started.'),
    signal: Nullable(Type.String(), 'The signal that ended it (e.g. SIGTERM), else null.'),
    releaseAt: IsoTime('PERIODIC: the release point on the grid this job belongs to; null for ONE_SHOT.'),
    releaseLatenessMs: Nullable(Type.Number(), 'PERIODIC: how late the job started after its release point, in milliseconds.'),
    error: Nullable(Type.String(), 'Why the job could not start, or what of its group could not be ended; else null.'),
    endedBySigma: Type.Boolean({ description: 'True when sigma ended it (STOP, DELETE, shutdown); false when it ended on its own.' }),
    oomKilled: Type.Boolean({ description: "True when the kernel's OOM killer ended a process of the job: its partition's memoryBytes was reached." }),
    deadlineMissed: Type.Boolean({ description: 'True when the job was still running at its deadline (release plus the process\'s timeCapacityMs).' }),
  },
  { title: 'Run', description: 'One run of a process: a job from start to end, or a failed attempt to start one.' },
);
export type RunJson = Static<typeof RunSchema>;

export const RunList = Type.Object(
  { runs: Type.Array(RunSchema, { description: 'Newest first.' }) },
  { title: 'RunList', description: 'The run history, under the plural resource root.' },
);

export const RunsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: RUNS_LIMIT.max, description: `How many runs, newest first (default ${RUNS_LIMIT.default}; the node keeps the last ${RUNS_LIMIT.max}).` }),
    ),
    after: Type.Optional(Type.Integer({ minimum: 1, description: 'The runs after this one in the list (older): the next page, as the Link header names it.' })),
  },
  { additionalProperties: false },
);

export const LogsQuery = Type.Object(
  {
    stream: Type.Optional(StringEnum(['stdout', 'stderr'] as const, { description: 'Which output (default stdout).' })),
    tail: Type.Optional(
      Type.Integer({ minimum: 0, maximum: LOG_TAIL_MAX_LINES, description: 'Only the last N lines (default: everything kept, the rotated file first).' }),
    ),
    follow: Type.Optional(Type.Boolean({ description: 'Keep the answer open and send new output as it is written, until the client goes away.' })),
  },
  { additionalProperties: false },
);
export type LogsQuery = Static<typeof LogsQuery>;
