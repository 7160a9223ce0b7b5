// What keeps a relocatable process on exactly one node (docs/fleet.md), checked twice a second:
// - a node down for RELOCATE_AFTER_DOWN_MS has its relocatable processes moved, each by one
//   transaction on its record (the first member to write it wins; the others find it moved);
// - a process assigned to this node that it does not hold is made here, and started if it was;
// - this node, out of touch with etcd for FENCE_AFTER_MS, ends its relocatable processes (the
//   others may move them once its lease expires), unless every other member answers that it
//   cannot reach etcd either or still sees this node up (none can move them yet); back in touch,
//   it starts again those still its own and drops those moved away;
// - while its lease surely lives (or none can move its processes), it vouches for them to its
//   launcher, which kills their jobs when the daemon stops vouching (it died or hangs).
import type { Logger } from 'pino';
import { FENCE_AFTER_MS, RELOCATE_AFTER_DOWN_MS, type FleetMembership } from './fleetMembership.js';
import type { FleetNode } from './fleetMembership.js';
import type { FencedProcesses } from './fencedProcesses.js';
import type { FleetProcesses, ProcessRecord } from './fleetProcesses.js';
import { chooseNode } from './placement.js';

const CHECK_INTERVAL_MS = 500;
/**
 * How long from its question the node vouches for its processes once it learns that none can move
 * them (asked each CHECK_INTERVAL_MS, an ask taking up to a second): a member that saw it up then
 * can move nothing of it for RELOCATE_AFTER_DOWN_MS, and this ends half a second before.
 */
const NONE_CAN_MOVE_VOUCH_MS = 2000;
/** A down node with a relocatable process that found no node to move to is gone through again this often. */
const PASS_AGAIN_MS = 10_000;

/** What the node does for relocation: the daemon's side. */
export interface RelocatingNode {
  /** Whether the process is on this node. */
  holds(processId: number): boolean;
  /** Its relocatable processes that have a job or a release pending. */
  liveRelocatable(): number[];
  /** Makes a process the fleet moved here, and starts it if it was started. */
  adopt(record: ProcessRecord): Promise<void>;
  /** Its relocatable processes are its own for `windowMs` more: the launcher fences them past that. */
  vouch(windowMs: number): void;
  /** Ends a process's job at once (SIGKILL) and its releases: it is DORMANT here. */
  fence(processId: number): Promise<void>;
  start(processId: number): Promise<void>;
  /** Removes a process the fleet moved to another node (its job ended already). */
  drop(processId: number): Promise<void>;
  /**
   * Whether every other member of the fleet answers, and each cannot reach etcd either or still
   * sees this node up there: then none can move this node's processes yet, and they keep running
   * (etcd down for all, or back before this node's next keep-alive).
   */
  noneCanMoveUs(): Promise<boolean>;
}

export class Relocation {
  private readonly downSinceMs = new Map<string, number>();
  /** When each down node's processes were last gone through (Infinity: all of them placed). */
  private readonly passedMs = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private fenceTimer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private fencing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly membership: FleetMembership,
    private readonly processes: FleetProcesses,
    private readonly node: RelocatingNode,
    /** Ended while out of touch with etcd: started again once back, if still this node's. */
    private readonly fenced: FencedProcesses,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.checkOnce(), CHECK_INTERVAL_MS);
    this.timer.unref();
    // Its own timer: a relocation pass held up by etcd never holds up the fence.
    this.fenceTimer = setInterval(() => this.fenceOnce(), CHECK_INTERVAL_MS);
    this.fenceTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [this.timer, this.fenceTimer]) if (timer) clearInterval(timer);
    this.timer = null;
    this.fenceTimer = null;
    await Promise.all([this.checking, this.fencing]);
  }

  /** Processes this node holds that the fleet moved away while it was out (it drops them). */
  async dropMovedAway(processIds: readonly number[]): Promise<void> {
    for (const processId of processIds) {
      this.fenced.delete(processId);
      this.logger.warn({ processId }, 'the fleet moved this process to another node while this one was out of touch: it is removed here');
      await this.node.drop(processId);
    }
  }

  private checkOnce(): void {
    if (this.checking) return;
    this.checking = this.check()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'the fleet\'s relocation check failed; it is tried again'))
      .finally(() => (this.checking = null));
  }

  /** Vouches to the launcher for as long as this node's lease surely lives (nothing when out of touch, or stopped). */
  vouch(): void {
    const windowMs = this.membership.vouchableForMs();
    if (windowMs > 0 && !this.stopped) this.node.vouch(windowMs);
  }

  private fenceOnce(): void {
    if (this.membership.outOfTouchForMs() < FENCE_AFTER_MS) return this.vouch();
    if (this.fencing) return;
    this.fencing = this.fenceAll()
      .catch((error: unknown) => this.logger.error({ err: error }, 'fencing the relocatable processes failed; it is tried again'))
      .finally(() => (this.fencing = null));
  }

  private async check(): Promise<void> {
    if (this.membership.outOfTouchForMs() >= FENCE_AFTER_MS || this.membership.status() !== 'connected') return;
    const { nodes, fresh } = await this.membership.nodes();
    if (!fresh) return;
    const nowMs = performance.now();
    for (const node of nodes) {
      if (node.status === 'up') {
        this.downSinceMs.delete(node.name);
        this.passedMs.delete(node.name);
      } else if (!this.downSinceMs.has(node.name)) {
        this.downSinceMs.set(node.name, nowMs);
      }
    }
    // Every record is read only when there is something to do with them: a node down long enough
    // that was not gone through yet (or again, a while after a process of it found no node), or
    // processes fenced here.
    const due = [...this.downSinceMs].filter(([name, sinceMs]) => nowMs - sinceMs >= RELOCATE_AFTER_DOWN_MS && nowMs - (this.passedMs.get(name) ?? 0) >= PASS_AGAIN_MS).map(([name]) => name);
    if (due.length > 0 || this.fenced.size > 0) await this.goThrough(nodes, new Set(due), nowMs);
    for (const moved of await this.processes.movedHere()) await this.keepOwn(moved);
  }

  private async goThrough(nodes: readonly FleetNode[], due: ReadonlySet<string>, nowMs: number): Promise<void> {
    const self = this.membership.nodeName;
    const records = await this.processes.revised();
    // Fenced, and no longer in the fleet at all: nothing to start again.
    const recorded = new Set(records.map(({ record }) => record.id));
    for (const processId of this.fenced.values()) if (!recorded.has(processId)) this.fenced.delete(processId);
    await this.dropMovedAway(records.filter(({ record }) => this.fenced.has(record.id) && record.node !== self).map(({ record }) => record.id));
    const unplaceable = new Set<string>();
    for (const revised of records) {
      const { record } = revised;
      if (record.node === self) {
        if (this.fenced.has(record.id)) await this.keepOwn(record);
        continue;
      }
      // Reserved but never recorded (the create's record was not written): nothing to make elsewhere.
      if (!record.relocatable || !due.has(record.node) || record.process === null) continue;
      let target;
      try {
        target = chooseNode(nodes, { labels: record.labels, partition: record.partition, relocatable: true });
      } catch (error) {
        unplaceable.add(record.node);
        this.logger.warn({ processId: record.id, node: record.node, err: error }, 'a relocatable process of a node that is down has no node to move to: it stays (tried again later)');
        continue;
      }
      if (!(await this.processes.move(revised, target.name))) continue;
      this.logger.info({ processId: record.id, from: record.node, to: target.name }, 'moved a relocatable process of a node that is down');
    }
    // Gone through: not again while the node stays down, unless a process of it found no node.
    for (const name of due) this.passedMs.set(name, unplaceable.has(name) ? nowMs : Number.POSITIVE_INFINITY);
  }

  /** A process of this node: made here if it is not (moved here), started again if it was fenced. */
  private async keepOwn(record: ProcessRecord): Promise<void> {
    if (this.fenced.delete(record.id)) {
      if (this.node.holds(record.id)) await this.node.start(record.id);
      return;
    }
    if (!this.node.holds(record.id) && record.process !== null && !this.processes.leaving(record.id)) {
      this.logger.info({ processId: record.id, name: record.name }, 'a relocatable process moved to this node: made here');
      await this.node.adopt(record);
    }
    await this.processes.settledHere(record.id);
  }

  private async fenceAll(): Promise<void> {
    const live = this.node.liveRelocatable().filter((processId) => !this.fenced.has(processId));
    if (live.length === 0) return;
    // Counted from the question: an answer "I see it up" may be up to a second old when it comes.
    const askedAtMs = performance.now();
    if (await this.node.noneCanMoveUs()) return this.node.vouch(Math.max(1, NONE_CAN_MOVE_VOUCH_MS - (performance.now() - askedAtMs)));
    for (const processId of live) {
      if (this.fenced.has(processId)) continue;
      this.fenced.add(processId);
      this.logger.warn({ processId, outOfTouchMs: this.membership.outOfTouchForMs() }, 'out of touch with etcd: this relocatable process is ended here (fenced), since the fleet may move it');
      await this.node.fence(processId);
    }
  }
}
