// This node's membership of the fleet: its record in etcd (name, URL, labels, certificate
// fingerprint), kept for good, and its presence, a key that lives by a lease the node keeps
// alive and that carries its load. A node whose lease expired (it died, or lost etcd for longer
// than the lease) is down; the others see it so a few seconds after.
import type { Logger } from 'pino';
import { EtcdUnreachableError, type EtcdGateway } from './etcdGateway.js';

export const FLEET_PREFIX = '/sigma/fleet/';
const MEMBERS_PREFIX = `${FLEET_PREFIX}members/`;
const ALIVE_PREFIX = `${FLEET_PREFIX}alive/`;

/** How long a node outlives its last keep-alive in the others' eyes. */
export const LEASE_TTL_SECONDS = 4;
/** A third of the lease: two keep-alives may fail before it expires. */
const KEEPALIVE_INTERVAL_MS = (LEASE_TTL_SECONDS * 1000) / 3;
/**
 * Out of touch with etcd this long (since the keep-alive etcd last answered was sent), a node's
 * lease may expire within a second: the node, cut off from etcd, ends its relocatable jobs unless
 * every other member still sees it up or cannot reach etcd either (docs/fleet.md).
 */
export const FENCE_AFTER_MS = 3000;
/**
 * Out of touch this long, a node's relocatable jobs are killed by its launcher, unless its daemon
 * vouched for them since (it cannot: dead, hung, or cut off): after the node's own fence, and two
 * seconds before another node can start them (the lease, then RELOCATE_AFTER_DOWN_MS).
 */
export const LAUNCHER_FENCE_AFTER_MS = 4500;
/**
 * How long a member sees a node down (its lease expired) before it moves the node's relocatable
 * processes: the node's launcher has ended them by then (the lease outlives the fence), and a node
 * cut off from etcd, which asks the others twice a second, learns it is seen down and ends them
 * first.
 */
export const RELOCATE_AFTER_DOWN_MS = 2500;

export interface NodeRecord {
  readonly name: string;
  readonly url: string;
  readonly labels: Readonly<Record<string, string>>;
  /** SHA-256 of the node's certificate, so that the others can pin it; null over plain HTTP. */
  readonly fingerprint: string | null;
  /**
   * Where its jobs run: under the native launcher, which fences a relocatable process's job when
   * the daemon is gone, or in the daemon's own process (a relocatable process is never put there).
   */
  readonly launcher: 'native' | 'in-process';
}

export interface NodeLoad {
  readonly runningJobs: number;
  readonly partitions: readonly string[];
}

export interface FleetNode extends NodeRecord {
  readonly status: 'up' | 'down';
  /** As the node last said; null while it is down. */
  readonly runningJobs: number | null;
  readonly partitions: readonly string[];
}

export type FleetStatus = 'connected' | 'unreachable';

export class NodeNameTakenError extends Error {}

/** What GET /node and GET /nodes read: the fleet, or this node on its own. */
export interface NodeDirectory {
  /** Its name in the fleet, null on its own. */
  readonly nodeName: string | null;
  fleetStatus(): FleetStatus | null;
  /** Every node, and whether the list is fresh from etcd (else what was last read). */
  nodes(): Promise<{ nodes: FleetNode[]; fresh: boolean }>;
}

export class FleetMembership implements NodeDirectory {
  private leaseId: string | null = null;
  private lastLoad: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reachable = false;
  private known: FleetNode[] = [];
  private ticking: Promise<void> | null = null;
  private self: NodeRecord;
  /** When etcd last answered a keep-alive (or the join): the node's lease lives a TTL past it. Never, at first. */
  private inTouchAtMs = Number.NEGATIVE_INFINITY;
  private inTouchListener: () => void = () => {};

  constructor(
    private readonly gateway: EtcdGateway,
    identity: Omit<NodeRecord, 'url'>,
    private readonly loadOf: () => NodeLoad,
    private readonly logger: Logger,
    /** Run each time the node (re)joins, before it is listed: may refuse the join (it throws). */
    private readonly beforeJoin: () => Promise<void> = async () => {},
    /** Run each time the node (re)joins, once it is listed up (a refusal then revokes its lease). */
    private readonly afterJoin: () => Promise<void> = async () => {},
  ) {
    this.self = { ...identity, url: '' };
  }

  get nodeName(): string {
    return this.self.name;
  }

  fleetStatus(): FleetStatus {
    return this.status();
  }

  /**
   * Joins, serving at `url`: refuses a name another live node holds, then registers and keeps the
   * lease alive. With etcd unreachable the node starts anyway and joins once etcd answers.
   */
  async join(url: string): Promise<void> {
    this.self = { ...this.self, url };
    try {
      const holder = (await this.gateway.range(`${ALIVE_PREFIX}${this.self.name}`))[0];
      const record = (await this.gateway.range(`${MEMBERS_PREFIX}${this.self.name}`))[0];
      const heldBy = record ? (JSON.parse(record.value) as NodeRecord).url : null;
      if (holder && heldBy !== null && heldBy !== this.self.url) {
        throw new NodeNameTakenError(`the node name "${this.self.name}" is held by a live node at ${heldBy}: choose another --node-name`);
      }
      await this.tick();
    } catch (error) {
      if (!(error instanceof EtcdUnreachableError)) throw error;
      this.logger.warn({ err: error }, 'etcd is unreachable: the node serves on its own and joins the fleet once etcd answers');
    }
    this.timer = setInterval(() => void this.tickOnce(), KEEPALIVE_INTERVAL_MS);
    this.timer.unref();
  }

  status(): FleetStatus {
    return this.reachable ? 'connected' : 'unreachable';
  }

  /** How long since etcd last answered this node's keep-alive (Infinity before the first). */
  outOfTouchForMs(nowMs = performance.now()): number {
    return nowMs - this.inTouchAtMs;
  }

  /** How long from now this node's lease surely lives, for its launcher to fence after: 0 when out of touch. */
  vouchableForMs(): number {
    const outOfTouchMs = this.outOfTouchForMs();
    return outOfTouchMs < FENCE_AFTER_MS ? LAUNCHER_FENCE_AFTER_MS - outOfTouchMs : 0;
  }

  /** Called each time etcd renews or grants this node's lease. */
  onInTouch(listener: () => void): void {
    this.inTouchListener = listener;
  }

  /** The nodes as last read (at most a keep-alive ago while etcd answers). */
  knownNodes(): readonly FleetNode[] {
    return this.known;
  }

  /** Every node ever registered, up or down; from what was last read while etcd is unreachable. */
  async nodes(): Promise<{ nodes: FleetNode[]; fresh: boolean }> {
    try {
      const [members, alive] = await Promise.all([this.gateway.range(MEMBERS_PREFIX), this.gateway.range(ALIVE_PREFIX)]);
      const loads = new Map(alive.map((entry) => [entry.key.slice(ALIVE_PREFIX.length), JSON.parse(entry.value) as NodeLoad]));
      this.known = members.map((entry) => {
        const record = JSON.parse(entry.value) as NodeRecord;
        const load = loads.get(record.name);
        return { ...record, status: load ? 'up' : 'down', runningJobs: load?.runningJobs ?? null, partitions: load?.partitions ?? [] };
      });
      this.markReachable(true);
      return { nodes: this.known, fresh: true };
    } catch (error) {
      if (!(error instanceof EtcdUnreachableError)) throw error;
      this.markReachable(false);
      return { nodes: this.known, fresh: false };
    }
  }

  /**
   * Stops keeping the lease. `revoke` (a clean stop): the others see this node down at once,
   * without waiting for the lease; else (a hand-over) the next daemon joins within it.
   */
  async leave(revoke = true): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    if (this.leaseId && revoke) await this.gateway.revokeLease(this.leaseId).catch(() => undefined);
    this.leaseId = null;
  }

  private tickOnce(): void {
    if (this.ticking) return;
    this.ticking = this.tick()
      .catch((error: unknown) => {
        if (!(error instanceof EtcdUnreachableError)) this.logger.error({ err: error }, 'fleet membership failed');
      })
      .finally(() => (this.ticking = null));
  }

  /** Keeps the lease (a new one if it expired, with the record and presence written again) and the load current. */
  private async tick(): Promise<void> {
    try {
      const askedAtMs = performance.now();
      if (this.leaseId && !(await this.gateway.keepAlive(this.leaseId))) {
        this.logger.warn('the fleet lease expired (etcd was out of reach for longer than it): joining again');
        this.leaseId = null;
      }
      // The lease lives a TTL past the moment etcd renewed it, which is after this node asked.
      if (this.leaseId) this.touched(askedAtMs);
      const load = JSON.stringify(this.loadOf());
      if (!this.leaseId) {
        await this.beforeJoin();
        const grantAskedAtMs = performance.now();
        this.leaseId = await this.gateway.grantLease(LEASE_TTL_SECONDS);
        this.touched(grantAskedAtMs);
        await this.gateway.put(`${MEMBERS_PREFIX}${this.self.name}`, JSON.stringify(this.self));
        await this.gateway.put(`${ALIVE_PREFIX}${this.self.name}`, load, this.leaseId);
        this.lastLoad = load;
        // Up in the others' eyes first (none moves its processes now), then the slower work.
        try {
          await this.afterJoin();
        } catch (error) {
          await this.gateway.revokeLease(this.leaseId).catch(() => undefined);
          this.leaseId = null;
          // Down in the others' eyes at once: nothing is vouched for any more, and the node fences.
          this.inTouchAtMs = Number.NEGATIVE_INFINITY;
          throw error;
        }
      }
      if (load !== this.lastLoad) {
        await this.gateway.put(`${ALIVE_PREFIX}${this.self.name}`, load, this.leaseId);
        this.lastLoad = load;
      }
      await this.nodes();
      this.markReachable(true);
    } catch (error) {
      this.markReachable(false);
      throw error;
    }
  }

  private touched(askedAtMs: number): void {
    this.inTouchAtMs = askedAtMs;
    this.inTouchListener();
  }

  private markReachable(reachable: boolean): void {
    if (reachable !== this.reachable) this.logger.info({ fleet: reachable ? 'connected' : 'unreachable' }, reachable ? 'etcd answers: in the fleet' : 'etcd is out of reach');
    this.reachable = reachable;
  }
}
