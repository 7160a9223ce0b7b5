// Schemas of partitions, their limits and their tokens.
import { Type, type Static } from 'typebox';
import { DEFAULT_PARTITION_QUOTAS } from '../../core/partition.js';
import { OPERATIONS } from '../../core/processModel.js';
import { Nullable, PartitionName } from './processSchemas.js';
import { StringEnum } from './stringEnum.js';

export const PARTITION_LIMITS = {
  maxRunning: { minimum: 1, maximum: 100_000 },
  cpu: { minimum: 0.01, maximum: 1024 },
  memoryBytes: { minimum: 1_048_576, maximum: Number.MAX_SAFE_INTEGER },
  pids: { minimum: 2, maximum: 4_194_304 },
  maxProcesses: { minimum: 1, maximum: 1_000_000 },
  definitionBytes: { minimum: 1024, maximum: Number.MAX_SAFE_INTEGER },
} as const;

const LIMIT_MEANINGS = {
  maxRunning: 'Slots: at most this many of its jobs run at once; a released job without a slot waits in READY, first come first served.',
  cpu: "A share of one core for all its jobs together (0.5: half a core; 2: two cores), enforced by its cgroup's CPU quota.",
  memoryBytes: 'Memory of all its jobs together, in bytes (at least 1 MiB); a job past it is OOM-killed inside the partition, and its run says so.',
  pids: "Tasks (processes and threads) of all its jobs together; a fork past it fails. While a job is being started, the daemon's thread that forks it counts as one of them for that instant.",
  maxProcesses: 'Quota: processes defined in it at most; a create past it is refused (409 SIGMA_ERR_PARTITION_QUOTA). Lowering it deletes none.',
  definitionBytes:
    "Quota: bytes of all its processes' definitions together (each argument of `command` and each NAME=value of `env`, with a NUL each, as --max-definition-bytes counts them); a create or a PATCH past it is refused (409 SIGMA_ERR_PARTITION_QUOTA).",
} as const;

const limitSchemas = () => ({
  maxRunning: Type.Integer(PARTITION_LIMITS.maxRunning),
  cpu: Type.Number(PARTITION_LIMITS.cpu),
  memoryBytes: Type.Integer(PARTITION_LIMITS.memoryBytes),
  pids: Type.Integer(PARTITION_LIMITS.pids),
  maxProcesses: Type.Integer(PARTITION_LIMITS.maxProcesses),
  definitionBytes: Type.Integer(PARTITION_LIMITS.definitionBytes),
});

/** Each limit, optional in a request; null there means "no such limit". */
function optionalLimits() {
  const schemas = limitSchemas();
  const nullable = (limit: keyof typeof LIMIT_MEANINGS) =>
    Type.Optional(Type.Union([schemas[limit], Type.Null()], { description: `${LIMIT_MEANINGS[limit]} Null: none.` }));
  return {
    maxRunning: nullable('maxRunning'),
    cpu: nullable('cpu'),
    memoryBytes: nullable('memoryBytes'),
    pids: nullable('pids'),
    maxProcesses: nullable('maxProcesses'),
    definitionBytes: nullable('definitionBytes'),
  };
}

export const CreatePartitionBody = Type.Object(
  { name: PartitionName, ...optionalLimits() },
  {
    title: 'PartitionCreate',
    additionalProperties: false,
    description: `A new partition and its limits (each optional: one left out does not apply, but the quotas maxProcesses and definitionBytes, which are then ${DEFAULT_PARTITION_QUOTAS.maxProcesses} and ${DEFAULT_PARTITION_QUOTAS.definitionBytes}; null: none).`,
  },
);
export type CreatePartitionBody = Static<typeof CreatePartitionBody>;

const PartitionOperationBody = Type.Object(
  { operation: StringEnum(OPERATIONS, { description: 'Performed on every process of the partition; the answer has one result per process.' }) },
  { title: 'PartitionOperation', additionalProperties: false, description: 'An operation on every process of the partition.' },
);

const PartitionLimitsBody = Type.Object(optionalLimits(), {
  title: 'PartitionLimits',
  additionalProperties: false,
  minProperties: 1,
  description:
    'The limits to change (null removes one; those not sent keep theirs). Raising maxRunning hands its new slots to waiting jobs at once; lowering it ends no running job.',
});

export const ChangePartitionBody = Type.Union([PartitionOperationBody, PartitionLimitsBody], {
  title: 'PartitionChange',
  description:
    'send either {"operation": "START" | "SUSPEND" | "RESUME" | "STOP"}, or the limits to change (one or more of maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes), never both',
});
export type ChangePartitionBody = Static<typeof ChangePartitionBody>;

const UnenforcedSchema = Type.Object(
  {
    limit: StringEnum(['cpu', 'memoryBytes', 'pids'] as const, { description: 'The limit that does not hold.' }),
    reason: Type.String({ description: 'Why this node cannot enforce it.' }),
  },
  { description: 'A limit that is set but not enforced.' },
);

export const PartitionSchema = Type.Object(
  {
    name: Type.String({ description: 'Unique on the node.' }),
    maxRunning: Nullable(Type.Integer(), `${LIMIT_MEANINGS.maxRunning} Null: no limit.`),
    cpu: Nullable(Type.Number(), `${LIMIT_MEANINGS.cpu} Null: no limit.`),
    memoryBytes: Nullable(Type.Integer(), `${LIMIT_MEANINGS.memoryBytes} Null: no limit.`),
    pids: Nullable(Type.Integer(), `${LIMIT_MEANINGS.pids} Null: no limit.`),
    maxProcesses: Nullable(Type.Integer(), `${LIMIT_MEANINGS.maxProcesses} Null: none (the node's --max-processes still holds).`),
    definitionBytes: Nullable(Type.Integer(), `${LIMIT_MEANINGS.definitionBytes} Null: none (the node's --max-total-definition-bytes still holds).`),
    processes: Type.Integer({ description: 'Processes in the partition.' }),
    definitionBytesUsed: Type.Integer({ description: "Bytes of its processes' definitions together, as definitionBytes counts them." }),
    running: Type.Integer({ description: 'Of those, how many hold a running slot now (RUNNING).' }),
    unenforced: Type.Array(UnenforcedSchema, {
      description: 'Each set limit that this node cannot enforce (no cgroups, no such controller, or the kernel refused the value), with why. Empty when every set limit holds; maxRunning always holds.',
    }),
    usage: Type.Object(
      {
        cpuMs: Nullable(Type.Number(), 'CPU time used by its jobs since the partition\'s cgroup was made, in milliseconds.'),
        memoryBytes: Nullable(Type.Integer(), 'Memory its jobs use now, in bytes.'),
        pids: Nullable(Type.Integer(), 'Tasks its jobs have now.'),
      },
      { description: "The partition cgroup's own accounting; null fields where the node has no cgroup for it." },
    ),
    createdAt: Type.String({ format: 'date-time', description: 'When the partition was created, ISO 8601 UTC.' }),
  },
  { title: 'Partition', description: 'A partition: a fenced part of the node with its own slots and limits.' },
);
export type PartitionJson = Static<typeof PartitionSchema>;

export const PartitionList = Type.Object(
  { partitions: Type.Array(PartitionSchema, { description: 'The partitions, by name.' }) },
  { title: 'PartitionList', description: 'Partitions, under the plural resource root.' },
);

export const PartitionNameParams = Type.Object({ name: PartitionName });

export const TokenIdParams = Type.Object({
  name: PartitionName,
  tokenId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The token id.' }),
});

export const CreateTokenBody = Type.Object(
  { label: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]*$', description: 'What the token is for (shown in lists).' })) },
  { title: 'PartitionTokenCreate', additionalProperties: false },
);

const TokenSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Names the token for revocation.' }),
    partition: Type.String({ description: 'The partition it opens.' }),
    label: Nullable(Type.String(), 'What the token is for, or null.'),
    createdAt: Type.String({ format: 'date-time', description: 'When it was made.' }),
    token: Type.Optional(Type.String({ description: 'The secret: sent only in the answer that made it. The node keeps only its SHA-256.' })),
  },
  { title: 'PartitionToken', description: 'A partition token: opens its partition only.' },
);

export const TokenList = Type.Object(
  { tokens: Type.Array(TokenSchema, { description: 'The tokens, by id.' }) },
  { title: 'PartitionTokenList', description: 'Partition tokens, under the plural resource root.' },
);
