// The fleet's processes as etcd holds them: which node owns each id, the names taken fleet-wide,
// the counter ids come from, and each process's record (its definition and state as of the last
// change made through the API), so that a node that is down still shows what it owned.
import { createHash } from 'node:crypto';
import { FleetUnreachableError, ProcessNameTakenError } from '../errors/sigmaErrors.js';
import { EtcdUnreachableError, type EtcdGateway, type TxnOperation } from './etcdGateway.js';
import { FLEET_PREFIX } from './fleetMembership.js';

const TOKEN_KEY = `${FLEET_PREFIX}token`;
const NEXT_ID_KEY = `${FLEET_PREFIX}ids/next`;
const NAMES_PREFIX = `${FLEET_PREFIX}names/`;
const PROCESSES_PREFIX = `${FLEET_PREFIX}processes/`;
/** Ids contend only when nodes create at the same moment; a transaction lost is tried again. */
const ID_ATTEMPTS = 32;

export interface ProcessRecord {
  readonly id: number;
  readonly name: string;
  readonly partition: string;
  /** The node that owns it. */
  readonly node: string;
  readonly relocatable: boolean;
  /** Its JSON as the owner answered after the last change (null until the first is recorded). */
  readonly process: Readonly<Record<string, unknown>> | null;
}

/** What a node that joins holds already. */
export interface LocalProcess {
  readonly id: number;
  readonly name: string;
  readonly partition: string;
  readonly process: Readonly<Record<string, unknown>>;
}

/** A node that cannot join as it is: another token, or an id or name another node owns. */
export class NodeJoinConflictError extends Error {}

const processKey = (id: number): string => `${PROCESSES_PREFIX}${id}`;
const nameKey = (name: string): string => `${NAMES_PREFIX}${name}`;

export class FleetProcesses {
  /** This node's own records, as last written: the relocatable flag of a local process. */
  private readonly own = new Map<number, ProcessRecord>();

  constructor(
    private readonly gateway: EtcdGateway,
    readonly nodeName: string,
  ) {}

  /**
   * One node token holds across the fleet: the first node to join records its hash, and a node
   * with another token is refused (it would answer the others' forwarded requests 401).
   */
  async checkToken(token: string): Promise<void> {
    const hash = createHash('sha256').update(token).digest('hex');
    if (await this.gateway.txn([{ key: TOKEN_KEY, absent: true }], [{ put: TOKEN_KEY, value: hash }])) return;
    const held = await this.gateway.get(TOKEN_KEY);
    if (held && held.value !== hash) {
      throw new NodeJoinConflictError('this node\'s token is not the fleet\'s node token: start it with the token of a member (--token or DATA_DIR/token), since any node forwards requests to any other with the token it was sent');
    }
  }

  /**
   * Records what a node holds as it joins: an id or a name another node owns is a conflict (the
   * node is refused, its processes untouched); the id counter moves past every id held here.
   */
  async registerLocal(processes: readonly LocalProcess[]): Promise<void> {
    const known = new Map((await this.gateway.range(PROCESSES_PREFIX)).map((entry) => [entry.key, JSON.parse(entry.value) as ProcessRecord]));
    for (const local of processes) {
      const held = known.get(processKey(local.id));
      if (held && held.node !== this.nodeName) throw new NodeJoinConflictError(`process id ${local.id} ("${local.name}") here is owned by node "${held.node}" in the fleet`);
      const record: ProcessRecord = { id: local.id, name: local.name, partition: local.partition, node: this.nodeName, relocatable: held?.relocatable ?? false, process: local.process };
      const nameTaken = await this.gateway.get(nameKey(local.name));
      if (nameTaken && nameTaken.value !== String(local.id)) throw new NodeJoinConflictError(`the name "${local.name}" (process ${local.id} here) is taken by process ${nameTaken.value} in the fleet`);
      await this.gateway.txn([], [{ put: processKey(local.id), value: JSON.stringify(record) }, { put: nameKey(local.name), value: String(local.id) }]);
      this.own.set(local.id, record);
    }
    // Deleted here while etcd was out of reach: gone from the fleet too.
    const held = new Set(processes.map((local) => local.id));
    for (const record of known.values()) {
      if (record.node === this.nodeName && !held.has(record.id)) await this.release(record.id, record.name);
    }
    const highest = processes.reduce((max, local) => Math.max(max, local.id), 0);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const next = await this.gateway.get(NEXT_ID_KEY);
      if (next && Number(next.value) > highest) return;
      const guard = next ? { key: NEXT_ID_KEY, modRevision: next.modRevision } : { key: NEXT_ID_KEY, absent: true as const };
      if (await this.gateway.txn([guard], [{ put: NEXT_ID_KEY, value: String(highest + 1) }])) return;
    }
  }

  /**
   * A new process's id, unique in the fleet, with its name taken fleet-wide and its owner
   * recorded, in one transaction; ProcessNameTakenError where another process has the name.
   */
  async reserve(name: string, partition: string, node: string, relocatable: boolean): Promise<number> {
    return this.reachable(async () => {
      for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        const next = await this.gateway.get(NEXT_ID_KEY);
        const id = next ? Number(next.value) : 1;
        const guard = next ? { key: NEXT_ID_KEY, modRevision: next.modRevision } : { key: NEXT_ID_KEY, absent: true as const };
        const record: ProcessRecord = { id, name, partition, node, relocatable, process: null };
        const taken = await this.gateway.txn(
          [guard, { key: nameKey(name), absent: true }],
          [
            { put: NEXT_ID_KEY, value: String(id + 1) },
            { put: nameKey(name), value: String(id) },
            { put: processKey(id), value: JSON.stringify(record) },
          ],
        );
        if (taken) {
          if (node === this.nodeName) this.own.set(id, record);
          return id;
        }
        if (await this.gateway.get(nameKey(name))) throw new ProcessNameTakenError(name);
      }
      throw new FleetUnreachableError(`no process id could be reserved in ${ID_ATTEMPTS} attempts (other nodes kept creating at the same moment): try again`);
    });
  }

  /** The process's record after a change: its JSON as now answered. */
  async record(id: number, process: Readonly<Record<string, unknown>>): Promise<void> {
    const held = this.own.get(id) ?? (await this.recordOf(id));
    if (!held) return;
    const record: ProcessRecord = { ...held, name: String(process.name ?? held.name), process };
    await this.reachable(() => this.gateway.txn([], [{ put: processKey(id), value: JSON.stringify(record) }]));
    this.own.set(id, record);
  }

  /** A process deleted, or one reserved and then not made: its id and name are free of it. */
  async release(id: number, name: string): Promise<void> {
    const operations: TxnOperation[] = [{ delete: processKey(id) }];
    await this.reachable(async () => {
      const named = await this.gateway.get(nameKey(name));
      if (named?.value === String(id)) operations.push({ delete: nameKey(name) });
      await this.gateway.txn([], operations);
    });
    this.own.delete(id);
  }

  async recordOf(id: number): Promise<ProcessRecord | null> {
    const entry = await this.reachable(() => this.gateway.get(processKey(id)));
    return entry ? (JSON.parse(entry.value) as ProcessRecord) : null;
  }

  /** The id of the process of this name anywhere in the fleet, or null. */
  async idOfName(name: string): Promise<number | null> {
    const entry = await this.reachable(() => this.gateway.get(nameKey(name)));
    return entry ? Number(entry.value) : null;
  }

  async all(): Promise<ProcessRecord[]> {
    return (await this.reachable(() => this.gateway.range(PROCESSES_PREFIX))).map((entry) => JSON.parse(entry.value) as ProcessRecord);
  }

  relocatable(id: number): boolean {
    return this.own.get(id)?.relocatable ?? false;
  }

  private async reachable<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EtcdUnreachableError) throw new FleetUnreachableError('etcd is out of reach: the fleet takes no change until it answers (reads are answered from what this node knows)');
      throw error;
    }
  }
}
