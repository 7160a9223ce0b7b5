// The store's schema, as an append-only list of migrations (PRAGMA user_version counts them).
export const STORE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE processes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL UNIQUE,
    type             TEXT    NOT NULL CHECK (type IN ('ONE_SHOT', 'PERIODIC')),
    period_ms        INTEGER CHECK ((type = 'PERIODIC') = (period_ms IS NOT NULL)),
    stop_timeout_ms  INTEGER NOT NULL,
    command_json     TEXT    NOT NULL,
    program          TEXT,
    cwd              TEXT,
    env_json         TEXT    NOT NULL,
    created_at_ms    REAL    NOT NULL,
    intent           TEXT    NOT NULL DEFAULT 'STOPPED' CHECK (intent IN ('STOPPED', 'STARTED', 'SUSPENDED')),
    runs             INTEGER NOT NULL DEFAULT 0,
    overruns         INTEGER NOT NULL DEFAULT 0,
    skipped          INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,
    last_exit_json   TEXT,
    job_pid          INTEGER,
    job_started_at_ms REAL
  );
  CREATE TABLE runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    process_id     INTEGER NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    pid            INTEGER,
    started_at_ms  REAL    NOT NULL,
    ended_at_ms    REAL    NOT NULL,
    exit_code      INTEGER,
    signal         TEXT,
    release_at_ms  REAL,
    error          TEXT,
    ended_by_sigma INTEGER NOT NULL
  );
  CREATE INDEX runs_by_process ON runs (process_id, id);
  `,
  // The start time of a live job's leader (clock ticks after boot, from /proc), so that a later
  // boot recognises the job and never a stranger that got its pid; and the node's own id, which
  // every job carries in its environment.
  `
  ALTER TABLE processes ADD COLUMN job_start_ticks INTEGER;
  CREATE TABLE node (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // Every request that changes something, as the operator's record of who did what.
  `
  CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       REAL    NOT NULL,
    address     TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    process_id  INTEGER,
    status      INTEGER NOT NULL,
    outcome     TEXT    NOT NULL
  );
  CREATE INDEX audit_by_process ON audit (process_id, id);
  `,
  // Partitions: every process belongs to one (what existed before goes to `default`), with its
  // limits; partition tokens are kept as their SHA-256 only. A run records an OOM kill, and the
  // audit trail which token made each request (before partitions, only the node token could).
  // (processes.partition has no REFERENCES: SQLite adds no such column with a default while
  // foreign keys are on; the daemon checks it.)
  `
  CREATE TABLE partitions (
    name          TEXT PRIMARY KEY,
    max_running   INTEGER,
    cpu           REAL,
    memory_bytes  INTEGER,
    pids          INTEGER,
    created_at_ms REAL NOT NULL
  );
  INSERT INTO partitions (name, created_at_ms) VALUES ('default', (julianday('now') - 2440587.5) * 86400000.0);
  ALTER TABLE processes ADD COLUMN partition TEXT NOT NULL DEFAULT 'default';
  CREATE TABLE partition_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    partition     TEXT    NOT NULL REFERENCES partitions (name) ON DELETE CASCADE,
    sha256        TEXT    NOT NULL UNIQUE,
    label         TEXT,
    created_at_ms REAL    NOT NULL
  );
  ALTER TABLE runs ADD COLUMN oom_killed INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT 'node';
  `,
  // The launcher's journal (docs/launcher.md): the last of its events each process has applied,
  // so that a daemon that died and comes back applies every later one exactly once.
  `
  ALTER TABLE processes ADD COLUMN launcher_seq INTEGER NOT NULL DEFAULT 0;
  `,
  // Partition quotas (the store's partitions get the defaults of a new one, DEFAULT_PARTITION_QUOTAS
  // as it was then; `default`, which every node has, only the node's ceiling); and the audit trail kept per actor, accepted and
  // refused requests apart, so that no one's refusals push out anyone's changes.
  `
  ALTER TABLE partitions ADD COLUMN max_processes INTEGER DEFAULT 1000;
  ALTER TABLE partitions ADD COLUMN definition_bytes INTEGER DEFAULT 67108864;
  UPDATE partitions SET max_processes = NULL, definition_bytes = NULL WHERE name = 'default';
  ALTER TABLE audit ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
  UPDATE audit SET refused = 1 WHERE status >= 400;
  CREATE INDEX audit_by_actor ON audit (actor, refused, id);
  `,
  // Restart policies: a ONE_SHOT's policy (part of its definition), how many restarts it had, and
  // what the policy remembers (its backoff, its recent restarts, a restart pending or held), so
  // that a pending restart survives a restart of the daemon.
  `
  ALTER TABLE processes ADD COLUMN restart_json TEXT;
  ALTER TABLE processes ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE processes ADD COLUMN restart_state_json TEXT;
  `,
  // The jobs' scheduling priority (nice), null for the launcher's own.
  `
  ALTER TABLE processes ADD COLUMN nice INTEGER;
  `,
  // Time capacity (APEX): a job's deadline after its release, what is done when a job misses it,
  // how many did, and which run did.
  `
  ALTER TABLE processes ADD COLUMN time_capacity_ms INTEGER;
  ALTER TABLE processes ADD COLUMN on_deadline_miss TEXT;
  ALTER TABLE processes ADD COLUMN deadline_misses INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN deadline_missed INTEGER NOT NULL DEFAULT 0;
  `,
  `
  ALTER TABLE processes ADD COLUMN relocatable INTEGER NOT NULL DEFAULT 0;
  `,
  // A live job's deadline state (its release point, time suspended, miss counted, being ended for
  // it), so that a daemon that adopts the job goes on with it.
  `
  ALTER TABLE processes ADD COLUMN job_timing_json TEXT;
  `,
];
