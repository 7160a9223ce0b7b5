// The fleet's processes as etcd holds them: which node owns each id, the names taken fleet-wide,
// the counter ids come from, and each process's record (its definition and state as of the last
// change made through the API), so that a node that is down still shows what it owned.
import { createHash } from 'node:crypto';
import { FleetUnreachableError, ProcessNameTakenError } from '../errors/sigmaErrors.js';
import { fleetReachable, takeFromCounter } from './etcdCalls.js';
import { EtcdUnreachableError, type EtcdGateway, type TxnOperation } from './etcdGateway.js';
import { FLEET_PREFIX } from './fleetMembership.js';

const TOKEN_KEY = `${FLEET_PREFIX}token`;
const NEXT_ID_KEY = `${FLEET_PREFIX}ids/next`;
const NAMES_PREFIX = `${FLEET_PREFIX}names/`;
/** `moved/<node>/<id>`: a process moved to that node, until the node has made it. */
const MOVED_PREFIX = `${FLEET_PREFIX}moved/`;
const PROCESSES_PREFIX = `${FLEET_PREFIX}processes/`;
/** Ids contend only when nodes take a block at the same moment; a transaction lost is tried again. */
const ID_ATTEMPTS = 32;
/** Ids a node takes from the fleet's counter at once. */
const ID_BLOCK = 100;

export interface ProcessRecord {
  readonly id: number;
  readonly name: string;
  readonly partition: string;
  /** The node that owns it. */
  readonly node: string;
  readonly relocatable: boolean;
  /** The labels its placement asked for: a node it moves to has them too. */
  readonly labels: Readonly<Record<string, string>>;
  /** Its JSON as the owner answered after the last change (null until the first is recorded). */
  readonly process: Readonly<Record<string, unknown>> | null;
}

/** A record with the revision a transaction that moves it compares. */
export interface RevisedRecord {
  readonly record: ProcessRecord;
  readonly modRevision: number;
}

/** What a node that joins holds already. */
export interface LocalProcess {
  readonly id: number;
  readonly name: string;
  readonly partition: string;
  readonly relocatable: boolean;
  readonly process: Readonly<Record<string, unknown>>;
}

/** A node that cannot join as it is: another token, or an id or name another node owns. */
export class NodeJoinConflictError extends Error {}

const processKey = (id: number): string => `${PROCESSES_PREFIX}${id}`;
const nameKey = (name: string): string => `${NAMES_PREFIX}${name}`;

export class FleetProcesses {
  /** This node's own records, as last written. */
  private readonly own = new Map<number, ProcessRecord>();
  /** This node's relocatable processes (its store says so too). */
  private readonly relocatableHere: Set<number>;
  /** Being deleted here: their records are not a process to make again. */
  private readonly deleting = new Set<number>();
  /** The owner of each process as last read or written here (a relocation may have moved it since). */
  private owners = new Map<number, string>();
  /** Ids this node may give, taken from the fleet's counter a block at a time. */
  private idBlock = { next: 0, end: 0 };
  private takingIds: Promise<void> = Promise.resolve();
  /** Each process's record write under way (the next waits for it). */
  private readonly recording = new Map<number, Promise<void>>();

  constructor(
    private readonly gateway: EtcdGateway,
    readonly nodeName: string,
    relocatableIds: readonly number[] = [],
  ) {
    this.relocatableHere = new Set(relocatableIds);
  }

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
   * Records what a node holds as it joins, and answers which of its relocatable processes the
   * fleet moved to another node meanwhile (this node must drop them, never run them). An id or a
   * name of one that is not relocatable held by another node is a conflict: the node is refused,
   * its processes untouched. The id counter moves past every id held here.
   */
  async registerLocal(processes: readonly LocalProcess[]): Promise<{ movedAway: number[] }> {
    const known = new Map((await this.gateway.range(PROCESSES_PREFIX)).map((entry) => [entry.key, { record: JSON.parse(entry.value) as ProcessRecord, modRevision: entry.modRevision }]));
    const names = new Map((await this.gateway.range(NAMES_PREFIX)).map((entry) => [entry.key, entry.value]));
    const movedAway: number[] = [];
    const moveAway = (local: LocalProcess): void => {
      movedAway.push(local.id);
      this.relocatableHere.delete(local.id);
      this.own.delete(local.id);
    };
    for (const local of processes) {
      let held = known.get(processKey(local.id));
      for (let attempt = 0; ; attempt++) {
        // A relocatable process always has a record: without one it was deleted in the fleet.
        if (!held && local.relocatable) {
          moveAway(local);
          break;
        }
        if (held && held.record.node !== this.nodeName) {
          if (!local.relocatable || held.record.name !== local.name) throw new NodeJoinConflictError(`process id ${local.id} ("${local.name}") here is owned by node "${held.record.node}" in the fleet`);
          moveAway(local);
          break;
        }
        const named = names.get(nameKey(local.name));
        if (named !== undefined && named !== String(local.id)) throw new NodeJoinConflictError(`the name "${local.name}" (process ${local.id} here) is taken by process ${named} in the fleet`);
        const record: ProcessRecord = { id: local.id, name: local.name, partition: local.partition, node: this.nodeName, relocatable: local.relocatable, labels: held?.record.labels ?? {}, process: local.process };
        // Written only if the record is still as read: a member may be moving it at this moment.
        const guard = held ? { key: processKey(local.id), modRevision: held.modRevision } : { key: processKey(local.id), absent: true as const };
        if (await this.gateway.txn([guard], [{ put: processKey(local.id), value: JSON.stringify(record) }, { put: nameKey(local.name), value: String(local.id) }])) {
          this.own.set(local.id, record);
          break;
        }
        if (attempt >= 2) throw new EtcdUnreachableError(`the record of process ${local.id} kept changing while this node joined`);
        const current = await this.gateway.get(processKey(local.id));
        held = current ? { record: JSON.parse(current.value) as ProcessRecord, modRevision: current.modRevision } : undefined;
      }
    }
    // Deleted here while etcd was out of reach: gone from the fleet too; but not one moved here and
    // not made yet (movedHere makes it).
    const here = new Set(processes.map((local) => local.id));
    const movedHere = new Set((await this.gateway.range(`${MOVED_PREFIX}${this.nodeName}/`)).map((entry) => Number(entry.value)));
    for (const { record } of known.values()) {
      if (record.node === this.nodeName && !here.has(record.id) && !movedHere.has(record.id)) await this.release(record.id, record.name);
    }
    const highest = processes.reduce((max, local) => Math.max(max, local.id), 0);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const next = await this.gateway.get(NEXT_ID_KEY);
      if (next && Number(next.value) > highest) break;
      const guard = next ? { key: NEXT_ID_KEY, modRevision: next.modRevision } : { key: NEXT_ID_KEY, absent: true as const };
      if (await this.gateway.txn([guard], [{ put: NEXT_ID_KEY, value: String(highest + 1) }])) break;
    }
    return { movedAway };
  }

  /**
   * A new process's id, unique in the fleet, with its name taken fleet-wide and its owner
   * recorded, in one transaction; ProcessNameTakenError where another process has the name.
   */
  async reserve(name: string, partition: string, node: string, relocatable: boolean, labels: Readonly<Record<string, string>>): Promise<number> {
    return fleetReachable(async () => {
      const id = await this.nextId();
      const record: ProcessRecord = { id, name, partition, node, relocatable, labels, process: null };
      const taken = await this.gateway.txn(
        [
          { key: nameKey(name), absent: true },
          { key: processKey(id), absent: true },
        ],
        [
          { put: nameKey(name), value: String(id) },
          { put: processKey(id), value: JSON.stringify(record) },
        ],
      );
      if (!taken) {
        const named = await this.gateway.get(nameKey(name));
        // Taken by this very transaction, answered late and sent again to the next endpoint.
        if (named?.value === String(id) && (await this.gateway.get(processKey(id)))?.value === JSON.stringify(record)) return this.reserved(record);
        if (named) throw new ProcessNameTakenError(name);
        throw new FleetUnreachableError(`process id ${id} is recorded in etcd already (was the fleet's counter set back?): try again`);
      }
      return this.reserved(record);
    });
  }

  private reserved(record: ProcessRecord): number {
    this.owners.set(record.id, record.node);
    if (record.node === this.nodeName) this.own.set(record.id, record);
    if (record.node === this.nodeName && record.relocatable) this.relocatableHere.add(record.id);
    return record.id;
  }

  /**
   * The next id of this node's block, a new block of ID_BLOCK taken from the fleet's counter by
   * compare-and-swap when it is used up: one transaction per block, not per process, and ids
   * never given twice (a block left unused at a restart is a gap).
   */
  private async nextId(): Promise<number> {
    const taking = this.takingIds.then(async () => {
      if (this.idBlock.next < this.idBlock.end) return;
      const first = await takeFromCounter(this.gateway, NEXT_ID_KEY, ID_BLOCK, ID_ATTEMPTS);
      if (first === null) throw new FleetUnreachableError(`no block of process ids could be taken in ${ID_ATTEMPTS} attempts (other nodes kept taking them at the same moment): try again`);
      this.idBlock = { next: first, end: first + ID_BLOCK };
    });
    this.takingIds = taking.catch(() => undefined);
    await taking;
    const id = this.idBlock.next;
    this.idBlock.next += 1;
    return id;
  }

  /**
   * The process's record after a change: its JSON as now answered. Written only over the record as
   * this node last knew it (compared by value), and never once the fleet moved it to another node.
   */
  record(id: number, process: Readonly<Record<string, unknown>>): Promise<void> {
    // One at a time per process, in the order of its changes: an older JSON never lands after a newer.
    const written = (this.recording.get(id) ?? Promise.resolve()).then(() => this.recordNow(id, process));
    const settled = written.catch(() => undefined);
    this.recording.set(id, settled);
    void settled.then(() => {
      if (this.recording.get(id) === settled) this.recording.delete(id);
    });
    return written;
  }

  private async recordNow(id: number, process: Readonly<Record<string, unknown>>): Promise<void> {
    let held = this.own.get(id) ?? (await this.recordOf(id));
    for (let attempt = 0; held && held.node === this.nodeName && attempt < 2; attempt++) {
      const known = held;
      const record: ProcessRecord = { ...known, name: String(process.name ?? known.name), process };
      const key = processKey(id);
      if (await fleetReachable(() => this.gateway.txn([{ key, value: JSON.stringify(known) }], [{ put: key, value: JSON.stringify(record) }]))) {
        this.own.set(id, record);
        return;
      }
      // Changed meanwhile (moved by the fleet, or written by this node's next change): read again.
      this.own.delete(id);
      held = await this.recordOf(id);
    }
  }

  /** A process about to be deleted here (`release` once it is, `stay` if it is not). */
  leave(id: number): void {
    this.deleting.add(id);
  }

  stay(id: number): void {
    this.deleting.delete(id);
  }

  leaving(id: number): boolean {
    return this.deleting.has(id);
  }

  /** A process deleted, or one reserved and then not made: its id and name are free of it. */
  async release(id: number, name: string): Promise<void> {
    const operations: TxnOperation[] = [{ delete: processKey(id) }];
    await fleetReachable(async () => {
      const named = await this.gateway.get(nameKey(name));
      if (named?.value === String(id)) operations.push({ delete: nameKey(name) });
      await this.gateway.txn([], operations);
    });
    this.own.delete(id);
    this.relocatableHere.delete(id);
    this.deleting.delete(id);
    this.owners.delete(id);
  }

  async recordOf(id: number): Promise<ProcessRecord | null> {
    const entry = await fleetReachable(() => this.gateway.get(processKey(id)));
    const record = entry ? (JSON.parse(entry.value) as ProcessRecord) : null;
    if (record) this.owners.set(id, record.node);
    else this.owners.delete(id);
    return record;
  }

  /** The owner as last known here, without asking etcd (undefined: not known). */
  cachedOwner(id: number): string | undefined {
    return this.owners.get(id);
  }

  async all(): Promise<ProcessRecord[]> {
    return (await this.revised()).map(({ record }) => record);
  }

  async revised(): Promise<RevisedRecord[]> {
    const revised = (await fleetReachable(() => this.gateway.range(PROCESSES_PREFIX))).map((entry) => ({ record: JSON.parse(entry.value) as ProcessRecord, modRevision: entry.modRevision }));
    this.owners = new Map(revised.map(({ record }) => [record.id, record.node]));
    return revised;
  }

  /**
   * Moves a process to `node`, if its record is still as read (another member may have moved it
   * first: then false, and nothing is written).
   */
  async move({ record, modRevision }: RevisedRecord, node: string): Promise<boolean> {
    const moved: ProcessRecord = { ...record, node };
    const done = await fleetReachable(() =>
      this.gateway.txn(
        [{ key: processKey(record.id), modRevision }],
        [
          { put: processKey(record.id), value: JSON.stringify(moved) },
          { put: `${MOVED_PREFIX}${node}/${record.id}`, value: String(record.id) },
        ],
      ),
    );
    if (done) this.owners.set(record.id, node);
    return done;
  }

  /** The processes moved to this node that it has not made yet (a prefix that is empty almost always). */
  async movedHere(): Promise<ProcessRecord[]> {
    const moved = await fleetReachable(() => this.gateway.range(`${MOVED_PREFIX}${this.nodeName}/`));
    const records: ProcessRecord[] = [];
    for (const entry of moved) {
      const record = await this.recordOf(Number(entry.value));
      if (record?.node === this.nodeName) records.push(record);
      // Deleted, or moved on again meanwhile: nothing to make here.
      else await this.gateway.txn([], [{ delete: entry.key }]);
    }
    return records;
  }

  /** A process moved here is made (or was already): its `moved` key goes. */
  async settledHere(id: number): Promise<void> {
    await fleetReachable(() => this.gateway.txn([], [{ delete: `${MOVED_PREFIX}${this.nodeName}/${id}` }]));
  }

  /** A process moved to this node, now made here. */
  adopted(record: ProcessRecord): void {
    this.own.set(record.id, record);
    if (record.relocatable) this.relocatableHere.add(record.id);
  }

  relocatable(id: number): boolean {
    return this.relocatableHere.has(id);
  }

}
