// A node's part in a fleet (docs/fleet.md), wired to its supervisor: membership, the processes'
// records, requests to the other nodes, and relocation. Also the check a node of a fleet makes
// before it starts anything: what the fleet moved away while it was down is not started again.
import type { Logger } from 'pino';
import { FleetRouting } from '../api/fleetRouting.js';
import { newProcessOf, type NewProcessFields } from '../api/processDefinitionOf.js';
import { processView } from '../api/processView.js';
import type { FleetConfig } from '../config/serveConfig.js';
import { jobOf, type DeadlineMissAction, type ProcessType, type RestartPolicy } from '../core/processModel.js';
import { FleetUnreachableError } from '../errors/sigmaErrors.js';
import { EtcdGateway, EtcdUnreachableError } from '../fleet/etcdGateway.js';
import { FleetMembership, type NodeLoad, type NodeRecord } from '../fleet/fleetMembership.js';
import { FencedProcesses } from '../fleet/fencedProcesses.js';
import { FleetPartitions } from '../fleet/fleetPartitions.js';
import { FleetProcesses, type ProcessRecord } from '../fleet/fleetProcesses.js';
import { PeerRequests } from '../fleet/peerRequests.js';
import { Relocation, type RelocatingNode } from '../fleet/relocation.js';
import type { JobHost } from '../runtime/jobHost.js';
import type { ProcessStore } from '../runtime/sqliteStore.js';
import type { LocalPartitionChanges } from '../supervisor/partitionChanges.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** How long a node of a fleet with relocatable processes waits for etcd at its start. */
const START_CHECK_TIMEOUT_MS = 10_000;
/** A member asked whether it could move this node's processes answers within this, or counts as able to. */
const MEMBER_ASK_TIMEOUT_MS = 1000;

export interface FleetNode {
  readonly membership: FleetMembership;
  readonly routing: FleetRouting;
  /** Joins the fleet serving at `url`, and starts relocation. */
  join(url: string): Promise<void>;
  /** Stops; `revoke`: the others see the node down at once (else once its lease expires). */
  leave(options: { revoke: boolean }): Promise<void>;
  /** SIGKILL to the groups of its relocatable processes' jobs (their launcher is gone). */
  endRelocatableJobs(): void;
}

/**
 * Before anything is started: the relocatable processes of this node that the fleet moved to
 * another node while it was down are removed from the store (their jobs were ended by the
 * launcher's fence). Their ids, for the launcher to forget. Without etcd the node cannot know
 * which they are, and does not start.
 */
export async function removeMovedAway(fleet: FleetConfig, store: ProcessStore, logger: Logger): Promise<number[]> {
  const relocatable = store.relocatableIds();
  if (relocatable.length === 0) return [];
  const processes = new FleetProcesses(new EtcdGateway(fleet.endpoints), fleet.nodeName);
  const deadline = performance.now() + START_CHECK_TIMEOUT_MS;
  for (;;) {
    try {
      const owners = new Map((await processes.all()).map((record) => [record.id, record.node]));
      // Moved to another node, or deleted in the fleet meanwhile (a relocatable process always has a record).
      const moved = relocatable.filter((id) => owners.get(id) !== fleet.nodeName);
      for (const id of moved) {
        logger.warn({ processId: id, node: owners.get(id) }, 'the fleet moved this relocatable process to another node while this one was down: it is removed here');
        store.remove(id);
      }
      return moved;
    } catch (error) {
      if (!(error instanceof EtcdUnreachableError) && !(error instanceof FleetUnreachableError)) throw error;
      if (performance.now() > deadline) {
        throw new Error(
          `etcd is out of reach: this node has relocatable processes, and must learn which the fleet moved away before it starts anything (${relocatable.length} of them); start it once etcd answers, or without --fleet`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export interface FleetNodeOptions {
  readonly fleet: FleetConfig;
  readonly supervisor: Supervisor;
  /** The host of its jobs: its launcher is told what the daemon vouches for. */
  readonly host: JobHost;
  /** Its partitions and their tokens: a copy of the fleet's. */
  readonly localPartitions: LocalPartitionChanges;
  readonly store: ProcessStore;
  readonly token: string;
  readonly fingerprint: NodeRecord['fingerprint'];
  readonly launcher: NodeRecord['launcher'];
  readonly loadOf: () => NodeLoad;
  readonly logger: Logger;
}

export function fleetNodeOf(options: FleetNodeOptions): { node: FleetNode; processes: FleetProcesses; partitions: FleetPartitions } {
  const { fleet, supervisor, logger } = options;
  const gateway = new EtcdGateway(fleet.endpoints);
  const processes = new FleetProcesses(gateway, fleet.nodeName, options.store.relocatableIds());
  let relocation: Relocation | null = null;
  const partitions = new FleetPartitions(gateway, options.localPartitions, fleet.nodeName, async (name) => (await processes.all()).filter((record) => record.partition === name).length, logger);
  // Before it is listed, a node makes sure it can answer for the fleet with its token; once listed
  // up, that no id or name of its own is another node's, and it drops what was moved away meanwhile;
  // then its partitions and tokens become the fleet's (the first time, its own are added).
  const beforeJoin = (): Promise<void> => processes.checkToken(options.token);
  const afterJoin = async (): Promise<void> => {
    const { movedAway } = await processes.registerLocal(
      supervisor.list().map((reading) => ({
        id: reading.definition.id,
        name: reading.definition.name,
        partition: reading.definition.partition,
        relocatable: processes.relocatable(reading.definition.id),
        process: processView(reading),
      })),
    );
    await relocation?.dropMovedAway(movedAway);
    await partitions.joined();
  };
  const membership = new FleetMembership(gateway, { name: fleet.nodeName, labels: fleet.labels, fingerprint: options.fingerprint, launcher: options.launcher }, options.loadOf, logger, beforeJoin, afterJoin);
  membership.onInTouch(() => relocation?.vouch());
  const peers = new PeerRequests(fleet.nodeName);
  const routing = new FleetRouting(membership, processes, peers);
  // Every other member answers, and each either cannot reach etcd either or still sees this node
  // up there (its lease alive): then no member can move this node's processes yet.
  const noneCanMoveUs = async (): Promise<boolean> => {
    // The members up at the last read: one that was down can move nothing without etcd, and the
    // ones that were up would see it back (and this node down) first.
    const others = membership.knownNodes().filter((member) => member.name !== fleet.nodeName && member.status === 'up');
    // None known up: a member that comes back, reaching etcd, could move them.
    if (others.length === 0) return false;
    const answers = await Promise.all(
      others.map((member) =>
        peers
          .send(member, { method: 'GET', path: '/nodes', authorization: `Bearer ${options.token}`, body: null }, MEMBER_ASK_TIMEOUT_MS)
          .then((answer) => {
            if (answer.status !== 200) return false;
            const seen = JSON.parse(answer.body.toString('utf8')) as { fleet?: unknown; nodes?: { name: string; status: string }[] };
            return seen.fleet === 'unreachable' || seen.nodes?.some((node) => node.name === fleet.nodeName && node.status === 'up') === true;
          })
          .catch(() => false),
      ),
    );
    return answers.every(Boolean);
  };
  relocation = new Relocation(membership, processes, relocatingNode(supervisor, options.host, processes, routing, logger, noneCanMoveUs), new FencedProcesses(options.store, options.store.relocatableIds(), logger), logger);
  const node: FleetNode = {
    membership,
    routing,
    async join(url) {
      await membership.join(url);
      relocation?.start();
    },
    endRelocatableJobs() {
      for (const reading of supervisor.list()) {
        const job = jobOf(reading.snapshot.runtime);
        if (!job || !processes.relocatable(reading.definition.id)) continue;
        try {
          process.kill(-job.pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    },
    async leave({ revoke }) {
      await relocation?.stop();
      await partitions.stop();
      await membership.leave(revoke);
      peers.close();
    },
  };
  return { node, processes, partitions };
}

function relocatingNode(supervisor: Supervisor, host: JobHost, processes: FleetProcesses, routing: FleetRouting, logger: Logger, noneCanMoveUs: () => Promise<boolean>): RelocatingNode {
  return {
    noneCanMoveUs,
    vouch: (windowMs) => host.vouch(windowMs),
    holds: (processId) => supervisor.find(processId) !== null,
    liveRelocatable: () =>
      supervisor
        .list()
        .filter((reading) => processes.relocatable(reading.definition.id) && reading.snapshot.runtime.phase !== 'DORMANT')
        .map((reading) => reading.definition.id),
    async adopt(record) {
      const shown = record.process as Readonly<Record<string, unknown>>;
      const definition = newProcessOf(fieldsOf(record, shown), record.partition, Date.parse(String(shown.createdAt)) || Date.now());
      // Known as relocatable before its first job starts: that job is fenced too.
      processes.adopted(record);
      const reading = await supervisor.create(definition, shown.state !== 'DORMANT', { id: record.id, relocatable: true });
      await routing.recordAfterChange(record.id, JSON.stringify(processView(reading)), (error) => logger.warn({ err: error }, 'the moved process is not recorded in etcd yet'));
    },
    async fence(processId) {
      await supervisor.fence(processId);
    },
    async start(processId) {
      await supervisor.operate(processId, 'START');
    },
    async drop(processId) {
      if (supervisor.find(processId)) await supervisor.delete(processId);
    },
  };
}

/** The fields of a process's recorded JSON that define it, as a create sends them. */
function fieldsOf(record: ProcessRecord, shown: Readonly<Record<string, unknown>>): NewProcessFields {
  const present = <T>(key: string, value: unknown): Record<string, T> => (value === null || value === undefined ? {} : { [key]: value as T });
  return {
    name: record.name,
    type: shown.type as ProcessType,
    command: shown.command as string[],
    env: (shown.env as Record<string, string>) ?? {},
    stopTimeoutMs: shown.stopTimeoutMs as number,
    restart: (shown.restart as RestartPolicy | null) ?? null,
    ...present<number>('period', shown.period),
    ...present<string>('cwd', shown.cwd),
    ...present<number>('timeCapacityMs', shown.timeCapacityMs),
    ...present<DeadlineMissAction>('onDeadlineMiss', shown.onDeadlineMiss),
    ...present<number>('nice', shown.nice),
  };
}
