// Every error sigma answers with: a stable code, a class, and (in one table) its HTTP status.

export const ERROR_CODES = [
  'SIGMA_ERR_REQUEST_INVALID',
  'SIGMA_ERR_REQUEST_CONTENT_TYPE',
  'SIGMA_ERR_REQUEST_TOO_LARGE',
  'SIGMA_ERR_REQUEST_HEADERS_TOO_LARGE',
  'SIGMA_ERR_REQUEST_TIMEOUT',
  'SIGMA_ERR_AUTH_MISSING',
  'SIGMA_ERR_AUTH_INVALID',
  'SIGMA_ERR_AUTH_THROTTLED',
  'SIGMA_ERR_OUT_OF_SCOPE',
  'SIGMA_ERR_ROUTE_NOT_FOUND',
  'SIGMA_ERR_METHOD_NOT_ALLOWED',
  'SIGMA_ERR_PROCESS_NOT_FOUND',
  'SIGMA_ERR_PROCESS_NAME_TAKEN',
  'SIGMA_ERR_PROCESS_NOT_DORMANT',
  'SIGMA_ERR_PROCESS_LIMIT',
  'SIGMA_ERR_PROCESS_BUSY',
  'SIGMA_ERR_PROCESS_INVALID',
  'SIGMA_ERR_PROGRAM_NOT_FOUND',
  'SIGMA_ERR_PARTITION_NOT_FOUND',
  'SIGMA_ERR_PARTITION_EXISTS',
  'SIGMA_ERR_PARTITION_NOT_EMPTY',
  'SIGMA_ERR_PARTITION_IS_DEFAULT',
  'SIGMA_ERR_PARTITION_LIMIT_REFUSED',
  'SIGMA_ERR_PARTITION_QUOTA',
  'SIGMA_ERR_TOKEN_NOT_FOUND',
  'SIGMA_ERR_TOO_MANY_STREAMS',
  'SIGMA_ERR_SHUTTING_DOWN',
  'SIGMA_ERR_STORE_UNAVAILABLE',
  'SIGMA_ERR_STORE_PARTIAL',
  'SIGMA_ERR_FLEET_UNREACHABLE',
  'SIGMA_ERR_NODE_UNREACHABLE',
  'SIGMA_ERR_NO_NODE_MATCHES',
  'SIGMA_ERR_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one place codes meet HTTP: the compiler rejects a code without a status. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  SIGMA_ERR_REQUEST_INVALID: 400,
  SIGMA_ERR_REQUEST_CONTENT_TYPE: 415,
  SIGMA_ERR_REQUEST_TOO_LARGE: 413,
  SIGMA_ERR_REQUEST_HEADERS_TOO_LARGE: 431,
  SIGMA_ERR_REQUEST_TIMEOUT: 408,
  SIGMA_ERR_AUTH_MISSING: 401,
  SIGMA_ERR_AUTH_INVALID: 401,
  SIGMA_ERR_AUTH_THROTTLED: 429,
  SIGMA_ERR_OUT_OF_SCOPE: 403,
  SIGMA_ERR_ROUTE_NOT_FOUND: 404,
  SIGMA_ERR_METHOD_NOT_ALLOWED: 405,
  SIGMA_ERR_PROCESS_NOT_FOUND: 404,
  SIGMA_ERR_PROCESS_NAME_TAKEN: 409,
  SIGMA_ERR_PROCESS_NOT_DORMANT: 409,
  SIGMA_ERR_PROCESS_LIMIT: 409,
  SIGMA_ERR_PROCESS_BUSY: 409,
  SIGMA_ERR_PROCESS_INVALID: 400,
  SIGMA_ERR_PROGRAM_NOT_FOUND: 400,
  SIGMA_ERR_PARTITION_NOT_FOUND: 404,
  SIGMA_ERR_PARTITION_EXISTS: 409,
  SIGMA_ERR_PARTITION_NOT_EMPTY: 409,
  SIGMA_ERR_PARTITION_IS_DEFAULT: 409,
  SIGMA_ERR_PARTITION_LIMIT_REFUSED: 409,
  SIGMA_ERR_PARTITION_QUOTA: 409,
  SIGMA_ERR_TOKEN_NOT_FOUND: 404,
  SIGMA_ERR_TOO_MANY_STREAMS: 429,
  SIGMA_ERR_SHUTTING_DOWN: 503,
  SIGMA_ERR_STORE_UNAVAILABLE: 503,
  SIGMA_ERR_STORE_PARTIAL: 503,
  SIGMA_ERR_FLEET_UNREACHABLE: 503,
  SIGMA_ERR_NODE_UNREACHABLE: 503,
  SIGMA_ERR_NO_NODE_MATCHES: 409,
  SIGMA_ERR_INTERNAL: 500,
};

/** What each code means, for the OpenAPI document and the README. */
export const ERROR_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  SIGMA_ERR_REQUEST_INVALID: 'The request is malformed: bad JSON, a missing or unknown field, a wrong type or an out-of-range value.',
  SIGMA_ERR_REQUEST_CONTENT_TYPE: 'The body is not sent as application/json (with or without a charset).',
  SIGMA_ERR_REQUEST_TOO_LARGE: 'The body is larger than --max-body-bytes allows (64 KiB unless raised).',
  SIGMA_ERR_REQUEST_HEADERS_TOO_LARGE: 'The request headers are larger than the server accepts (16 KiB).',
  SIGMA_ERR_REQUEST_TIMEOUT: 'The request did not arrive whole in time.',
  SIGMA_ERR_AUTH_MISSING: 'No bearer token was sent.',
  SIGMA_ERR_AUTH_INVALID: 'The token sent is neither the node token nor a partition token (a revoked one included).',
  SIGMA_ERR_AUTH_THROTTLED: 'Too many requests with a missing or wrong token came from this address lately; wait the Retry-After seconds.',
  SIGMA_ERR_OUT_OF_SCOPE:
    "A partition token asked for what only the node token may do (create outside its partition, change limits, manage partitions or tokens, read node-wide data).",
  SIGMA_ERR_ROUTE_NOT_FOUND: 'No route has this path.',
  SIGMA_ERR_METHOD_NOT_ALLOWED: 'The path is served, but not with this method: the Allow header lists those it takes.',
  SIGMA_ERR_PROCESS_NOT_FOUND: 'No process has this id or name.',
  SIGMA_ERR_PROCESS_NAME_TAKEN: 'Another process on the node (in a fleet: on any node) already has this name.',
  SIGMA_ERR_PROCESS_LIMIT:
    'The node has as many processes as --max-processes allows, or its definitions together as many bytes as --max-total-definition-bytes allows; delete one first, or raise the limit.',
  SIGMA_ERR_PROCESS_BUSY:
    'A job a previous daemon left running is being ended (SIGTERM, its stopTimeoutMs, SIGKILL): its process takes no operation until that job is gone; try again then.',
  SIGMA_ERR_PROCESS_NOT_DORMANT: 'A definition changes only while the process is DORMANT: STOP it first (and START it again after).',
  SIGMA_ERR_PROCESS_INVALID: 'The definition is inconsistent (for example a period on a ONE_SHOT process, or an initial state that is not DORMANT, READY or RUNNING).',
  SIGMA_ERR_PROGRAM_NOT_FOUND: 'No command was given and the programs directory holds no executable of that name.',
  SIGMA_ERR_PARTITION_NOT_FOUND: 'No partition has this name (for a partition token: none it can see).',
  SIGMA_ERR_PARTITION_EXISTS: 'A partition of this name exists already.',
  SIGMA_ERR_PARTITION_NOT_EMPTY: 'A partition is deleted only once it has no processes: delete them first.',
  SIGMA_ERR_PARTITION_IS_DEFAULT: 'The default partition always exists; its limits can change, it cannot be deleted.',
  SIGMA_ERR_PARTITION_LIMIT_REFUSED:
    "The kernel refused a limit (e.g. a memory limit below what the partition uses now): nothing was changed, the limits before still hold.",
  SIGMA_ERR_PARTITION_QUOTA:
    "The partition has as many processes as its maxProcesses allows, or the definition would take its processes' definitions past its definitionBytes: nothing was changed; delete a process first, or raise the quota.",
  SIGMA_ERR_TOKEN_NOT_FOUND: 'The partition has no token of this id (revoked already?).',
  SIGMA_ERR_TOO_MANY_STREAMS:
    'As many event streams and followed logs are open as --max-streams allows, or (for a partition token) as its share allows: an eighth of --max-streams per partition token, and never the last eighth, which is kept for the node token. Close one, or raise the limit.',
  SIGMA_ERR_SHUTTING_DOWN: 'The daemon is shutting down and takes no more changes.',
  SIGMA_ERR_STORE_UNAVAILABLE: 'The store cannot be written (disk full or read-only?): nothing was changed.',
  SIGMA_ERR_STORE_PARTIAL:
    'The store could not be written after the request had acted on the node (a full disk never keeps a job from being stopped): the message says what was done and what is stored. What only the daemon\'s memory holds is written as soon as the disk takes writes again; a restart before then would not know of it.',
  SIGMA_ERR_FLEET_UNREACHABLE:
    'A node of a fleet takes no change while etcd is out of reach (a change is acknowledged only once etcd has it): nothing was changed; reads are answered from what the node knows. Try again once GET /node says "fleet": "connected".',
  SIGMA_ERR_NODE_UNREACHABLE: 'The node of the fleet that owns the process (or that was chosen for it) did not answer, or its TLS certificate is not the one it registered: nothing was changed through it.',
  SIGMA_ERR_NO_NODE_MATCHES: 'No node of the fleet that is up matches the placement asked (the node named, the labels, and the partition): nothing was created.',
  SIGMA_ERR_INTERNAL: 'An unexpected failure inside the daemon; its log says more.',
};

export class SigmaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get httpStatus(): number {
    return HTTP_STATUS_OF[this.code];
  }
}

export class RequestInvalidError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_REQUEST_INVALID', message);
  }
}

export class ProcessNotFoundError extends SigmaError {
  constructor(what: string) {
    super('SIGMA_ERR_PROCESS_NOT_FOUND', `no process with ${what}`);
  }
}

export class ProcessNameTakenError extends SigmaError {
  constructor(name: string) {
    super('SIGMA_ERR_PROCESS_NAME_TAKEN', `a process named "${name}" already exists`);
  }
}

export class ProcessLimitError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_PROCESS_LIMIT', message);
  }
}

export class AuthThrottledError extends SigmaError {
  constructor(readonly retryAfterSeconds: number) {
    super('SIGMA_ERR_AUTH_THROTTLED', `too many requests without the right token from this address; try again in ${retryAfterSeconds} s`);
  }
}

export class ProcessNotDormantError extends SigmaError {
  constructor(processId: number, state: string) {
    super('SIGMA_ERR_PROCESS_NOT_DORMANT', `process ${processId} is ${state}: a definition changes only while DORMANT; STOP it first`);
  }
}

export class ProcessBusyError extends SigmaError {
  constructor(reason: string) {
    super('SIGMA_ERR_PROCESS_BUSY', reason);
  }
}

export class ProcessInvalidError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_PROCESS_INVALID', message);
  }
}

export class ProgramNotFoundError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_PROGRAM_NOT_FOUND', message);
  }
}

export class StoreUnavailableError extends SigmaError {
  /** storeCode: SQLite's (SQLITE_FULL, SQLITE_READONLY, ...). */
  constructor(readonly storeCode: string) {
    super('SIGMA_ERR_STORE_UNAVAILABLE', `the store cannot be written (${storeCode}); nothing was changed`);
  }
}

/** A request that acted on the node before the store refused a write: the message says what was done and what is kept. */
export class StorePartialError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_STORE_PARTIAL', message);
  }

  /** Done on the node, held in memory only, written by the daemon once the disk takes it. */
  static heldInMemory(done: string, storeCode: string): StorePartialError {
    return new StorePartialError(
      `${done}, but the store cannot be written (${storeCode}): the daemon holds the change in memory and writes it as soon as the disk takes writes again; a restart before then would not know of it`,
    );
  }
}

export class FleetUnreachableError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_FLEET_UNREACHABLE', message);
  }
}

export class NodeUnreachableError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_NODE_UNREACHABLE', message);
  }
}

export class NoNodeMatchesError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_NO_NODE_MATCHES', message);
  }
}

export class TooManyStreamsError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_TOO_MANY_STREAMS', message);
  }
}

export class ShuttingDownError extends SigmaError {
  constructor() {
    super('SIGMA_ERR_SHUTTING_DOWN', 'the daemon is shutting down');
  }
}

export class OutOfScopeError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_OUT_OF_SCOPE', message);
  }
}

export class PartitionNotFoundError extends SigmaError {
  constructor(name: string) {
    super('SIGMA_ERR_PARTITION_NOT_FOUND', `no partition named "${name}"`);
  }
}

export class PartitionExistsError extends SigmaError {
  constructor(name: string) {
    super('SIGMA_ERR_PARTITION_EXISTS', `a partition named "${name}" already exists`);
  }
}

export class PartitionNotEmptyError extends SigmaError {
  constructor(name: string, processes: number) {
    super('SIGMA_ERR_PARTITION_NOT_EMPTY', `partition "${name}" has ${processes === 1 ? 'a process: delete it first' : `${processes} processes: delete them first`}`);
  }
}

export class DefaultPartitionError extends SigmaError {
  constructor() {
    super('SIGMA_ERR_PARTITION_IS_DEFAULT', 'the default partition cannot be deleted (its limits can change)');
  }
}

export class TokenNotFoundError extends SigmaError {
  constructor(partition: string, id: number) {
    super('SIGMA_ERR_TOKEN_NOT_FOUND', `partition "${partition}" has no token ${id}`);
  }
}

export class PartitionLimitRefusedError extends SigmaError {
  constructor(name: string, reasons: readonly string[]) {
    super('SIGMA_ERR_PARTITION_LIMIT_REFUSED', `partition "${name}": ${reasons.join('; ')}; nothing was changed`);
  }
}

export class PartitionQuotaError extends SigmaError {
  constructor(message: string) {
    super('SIGMA_ERR_PARTITION_QUOTA', message);
  }
}
