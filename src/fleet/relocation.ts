// What keeps a relocatable process on exactly one node (docs/fleet.md), checked twice a second:
// - a node down for RELOCATE_AFTER_DOWN_MS has its relocatable processes moved, each by one
//   transaction on its record (the first member to write it wins; the others find it moved);
// - a process assigned to this node that it does not hold is made here, and started if it was;
// - this node, out of touch with etcd for FENCE_AFTER_MS, ends its relocatable processes (the
//   others may move them once its lease expires), unless every other member answers that it
//   cannot reach etcd either or still sees this node up (none can move them yet); back in touch,
//   it starts again those still its own and drops those moved away.
import type { Logger } from 'pino';
import { FENCE_AFTER_MS, RELOCATE_AFTER_DOWN_MS, type FleetMembership } from './fleetMembership.js';
import type { FleetProcesses, ProcessRecord } from './fleetProcesses.js';
import { chooseNode } from './placement.js';

const CHECK_INTERVAL_MS = 500;

/** What the node does for relocation: the daemon's side. */
export interface RelocatingNode {
  /** Whether the process is on this node. */
  holds(processId: number): boolean;
  /** Its relocatable processes that have a job or a release pending. */
  liveRelocatable(): number[];
  /** Makes a process the fleet moved here, and starts it if it was started. */
  adopt(record: ProcessRecord): Promise<void>;
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
  /** Ended while out of touch with etcd: started again once back, if still this node's. */
  private readonly fenced = new Set<number>();
  private readonly unplaceable = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly membership: FleetMembership,
    private readonly processes: FleetProcesses,
    private readonly node: RelocatingNode,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.checkOnce(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
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

  private async check(): Promise<void> {
    if (this.membership.outOfTouchForMs() >= FENCE_AFTER_MS) {
      await this.fenceAll();
      return;
    }
    if (this.membership.status() !== 'connected') return;
    const { nodes, fresh } = await this.membership.nodes();
    if (!fresh) return;
    const nowMs = Date.now();
    for (const node of nodes) {
      if (node.status === 'up') this.downSinceMs.delete(node.name);
      else if (!this.downSinceMs.has(node.name)) this.downSinceMs.set(node.name, nowMs);
    }
    const self = this.membership.nodeName;
    const records = await this.processes.revised();
    const movedAway = records.filter(({ record }) => this.fenced.has(record.id) && record.node !== self).map(({ record }) => record.id);
    await this.dropMovedAway(movedAway);
    for (const revised of records) {
      const { record } = revised;
      if (record.node === self) {
        await this.keepOwn(record);
        continue;
      }
      const downSinceMs = record.relocatable ? this.downSinceMs.get(record.node) : undefined;
      if (downSinceMs === undefined || nowMs - downSinceMs < RELOCATE_AFTER_DOWN_MS) continue;
      let target;
      try {
        target = chooseNode(nodes, { labels: record.labels, partition: record.partition });
      } catch (error) {
        if (!this.unplaceable.has(record.id)) this.logger.warn({ processId: record.id, err: error }, 'a relocatable process of a node that is down has no node to move to: it stays');
        this.unplaceable.add(record.id);
        continue;
      }
      this.unplaceable.delete(record.id);
      if (!(await this.processes.move(revised, target.name))) continue;
      this.logger.info({ processId: record.id, from: record.node, to: target.name }, 'moved a relocatable process of a node that is down');
      if (target.name === self) await this.keepOwn({ ...record, node: self });
    }
  }

  /** A process of this node: made here if it is not (moved here), started again if it was fenced. */
  private async keepOwn(record: ProcessRecord): Promise<void> {
    if (this.fenced.delete(record.id)) {
      if (this.node.holds(record.id)) await this.node.start(record.id);
      return;
    }
    // Not recorded yet: a process being created here.
    if (this.node.holds(record.id) || record.process === null || this.processes.leaving(record.id)) return;
    this.logger.info({ processId: record.id, name: record.name }, 'a relocatable process moved to this node: made here');
    await this.node.adopt(record);
  }

  private async fenceAll(): Promise<void> {
    const live = this.node.liveRelocatable().filter((processId) => !this.fenced.has(processId));
    if (live.length === 0 || (await this.node.noneCanMoveUs())) return;
    for (const processId of live) {
      if (this.fenced.has(processId)) continue;
      this.fenced.add(processId);
      this.logger.warn({ processId, outOfTouchMs: this.membership.outOfTouchForMs() }, 'out of touch with etcd: this relocatable process is ended here (fenced), since the fleet may move it');
      await this.node.fence(processId);
    }
  }
}
