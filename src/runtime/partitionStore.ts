// Partitions and their tokens in the node's SQLite file (the connection the process store opened).
import type Database from 'better-sqlite3';
import type { PartitionDefinition } from '../core/partition.js';

/** A partition token as stored: its SHA-256, never the token. */
export interface StoredPartitionToken {
  readonly id: number;
  readonly partition: string;
  readonly sha256: string;
  readonly label: string | null;
  readonly createdAtMs: number;
}

export interface PartitionStore {
  list(): PartitionDefinition[];
  insert(partition: PartitionDefinition): void;
  update(partition: PartitionDefinition): void;
  /** Removes the partition and its tokens. */
  remove(name: string): void;
  listTokens(): StoredPartitionToken[];
  /** Its id is the one given (a fleet's), else the next free one. */
  insertToken(token: Omit<StoredPartitionToken, 'id'> & { readonly id?: number }): number;
  removeToken(id: number): void;
}

interface PartitionRow {
  name: string;
  max_running: number | null;
  cpu: number | null;
  memory_bytes: number | null;
  pids: number | null;
  max_processes: number | null;
  definition_bytes: number | null;
  created_at_ms: number;
}

interface TokenRow {
  id: number;
  partition: string;
  sha256: string;
  label: string | null;
  created_at_ms: number;
}

/**
 * Every method writes at once: `writeAcknowledged` runs a write so that it reaches the disk
 * before the answer (and maps the disk's refusals to the store's error).
 */
export class SqlitePartitionStore implements PartitionStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly writeAcknowledged: <T>(write: () => T) => T,
  ) {
    this.statements = {
      list: db.prepare('SELECT * FROM partitions ORDER BY name'),
      insert: db.prepare(
        `INSERT INTO partitions (name, max_running, cpu, memory_bytes, pids, max_processes, definition_bytes, created_at_ms)
         VALUES (@name, @maxRunning, @cpu, @memoryBytes, @pids, @maxProcesses, @definitionBytes, @createdAtMs)`,
      ),
      update: db.prepare(
        `UPDATE partitions SET max_running = @maxRunning, cpu = @cpu, memory_bytes = @memoryBytes, pids = @pids,
           max_processes = @maxProcesses, definition_bytes = @definitionBytes WHERE name = @name`,
      ),
      remove: db.prepare('DELETE FROM partitions WHERE name = ?'),
      listTokens: db.prepare('SELECT * FROM partition_tokens ORDER BY id'),
      insertToken: db.prepare(
        'INSERT INTO partition_tokens (id, partition, sha256, label, created_at_ms) VALUES (@id, @partition, @sha256, @label, @createdAtMs)',
      ),
      removeToken: db.prepare('DELETE FROM partition_tokens WHERE id = ?'),
    };
  }

  list(): PartitionDefinition[] {
    return (this.statements.list.all() as PartitionRow[]).map((row) => ({
      name: row.name,
      maxRunning: row.max_running,
      cpu: row.cpu,
      memoryBytes: row.memory_bytes,
      pids: row.pids,
      maxProcesses: row.max_processes,
      definitionBytes: row.definition_bytes,
      createdAtMs: row.created_at_ms,
    }));
  }

  insert(partition: PartitionDefinition): void {
    this.writeAcknowledged(() => this.statements.insert.run(partition));
  }

  update(partition: PartitionDefinition): void {
    this.writeAcknowledged(() => this.statements.update.run(partition));
  }

  remove(name: string): void {
    this.writeAcknowledged(() => this.statements.remove.run(name));
  }

  listTokens(): StoredPartitionToken[] {
    return (this.statements.listTokens.all() as TokenRow[]).map((row) => ({
      id: row.id,
      partition: row.partition,
      sha256: row.sha256,
      label: row.label,
      createdAtMs: row.created_at_ms,
    }));
  }

  insertToken(token: Omit<StoredPartitionToken, 'id'> & { readonly id?: number }): number {
    return Number(this.writeAcknowledged(() => this.statements.insertToken.run({ ...token, id: token.id ?? null })).lastInsertRowid);
  }

  removeToken(id: number): void {
    this.writeAcknowledged(() => this.statements.removeToken.run(id));
  }
}
