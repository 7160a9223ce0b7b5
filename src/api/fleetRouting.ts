// How a node of a fleet answers for every node: a request about a process another node owns is
// sent to that node and its answer passed on as it came; a list is this node's processes, every
// up node's, and what etcd last recorded of a down node's; a new process goes where its placement
// says. Each process in an answer carries "node", "nodeStatus" and "relocatable".
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FleetUnreachableError, NodeUnreachableError } from '../errors/sigmaErrors.js';
import { entityTagOf, sendTagged } from './entityTags.js';
import type { FleetMembership, FleetNode } from '../fleet/fleetMembership.js';
import type { FleetProcesses, ProcessRecord } from '../fleet/fleetProcesses.js';
import { FORWARDED_BY_HEADER, type PeerAnswer, type PeerRequests } from '../fleet/peerRequests.js';
import { chooseNode, type PlacementAsked } from '../fleet/placement.js';
import type { OperationResultJson } from './schemas/processSchemas.js';

/** The headers of an owner's answer that are passed on with it. */
const RELAYED_HEADERS = ['content-type', 'etag', 'location', 'link', 'retry-after', 'allow'];

export interface ListedItem {
  readonly id: number;
  readonly json: string;
}

export class FleetRouting {
  constructor(
    private readonly membership: FleetMembership,
    readonly processes: FleetProcesses,
    private readonly peers: PeerRequests,
  ) {}

  get nodeName(): string {
    return this.membership.nodeName;
  }

  knownNodes(): readonly FleetNode[] {
    return this.membership.knownNodes();
  }

  etcdConnected(): boolean {
    return this.membership.status() === 'connected';
  }

  /** A request another node sent on: it is answered for this node alone. */
  forwarded(request: FastifyRequest): boolean {
    return request.headers[FORWARDED_BY_HEADER] !== undefined;
  }

  /** Changes wait for etcd: none is made while it is out of reach. */
  requireReachable(): void {
    if (this.membership.status() !== 'connected') {
      throw new FleetUnreachableError('etcd is out of reach: the fleet takes no change until it answers (reads are answered from what this node knows)');
    }
  }

  /**
   * Answers a request about a process this node does not hold with its owner's answer, as the
   * owner gave it (null: no other node owns it, this node answers). The owner is taken as last
   * known, and asked of etcd again when that node does not have it (a process moved meanwhile).
   * A change of a process whose node is down is 503; a read answers what etcd last recorded.
   */
  async answerForOwner(request: FastifyRequest, reply: FastifyReply, processId: number, kind: 'read' | 'change'): Promise<FastifyReply | null> {
    const { owner, fromCache } = await this.ownerOf(processId);
    if (!owner) return null;
    let answer = await this.askOwner(request, owner, kind);
    if (fromCache && (answer === null || answer.status === 404)) {
      const current = await this.ownerElsewhere(processId);
      if (!current) return null;
      if (current.name !== owner.name) answer = await this.askOwner(request, current, kind);
    }
    if (answer) return this.answerWith(reply, answer);
    const shown = await this.downProcessJson(processId);
    if (shown === null) return null;
    const body = Buffer.from(`{"processes":[${shown}]}\n`, 'utf8');
    return sendTagged(request, reply.code(200).type('application/json; charset=utf-8'), entityTagOf(body), body);
  }

  /**
   * A GET of a process's own route (its runs, its log, followed or not) that another node owns:
   * the owner's answer, passed on as it comes (null: no other node owns it). Not kept in etcd, so
   * 503 while its node is down.
   */
  async streamFromOwner(request: FastifyRequest, reply: FastifyReply, processId: number): Promise<FastifyReply | null> {
    const { owner } = await this.ownerOf(processId);
    if (!owner) return null;
    if (owner.status === 'down') throw new NodeUnreachableError(`process ${processId} is on node "${owner.name}", which is down: its runs and logs are there`);
    const incoming = await this.peers.open(owner, { method: 'GET', path: request.url, authorization: request.headers.authorization, body: null });
    reply.code(incoming.statusCode ?? 502);
    for (const name of [...RELAYED_HEADERS, 'cache-control', 'x-content-type-options']) {
      const value = incoming.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    // A client that goes away ends the owner's answer too (a followed log).
    request.raw.once('close', () => incoming.destroy());
    return reply.send(incoming);
  }

  /** Sends the request to `node` and answers with what it answered. */
  async relay(request: FastifyRequest, reply: FastifyReply, node: FleetNode, body: unknown = request.body): Promise<FastifyReply> {
    return this.answerWith(reply, await this.send(node, request, request.url, body));
  }

  /**
   * The node that owns the process, where that is another node (null: this one, or none): as last
   * known here, unless that node is down (the process may have moved since), else as etcd says now.
   */
  private async ownerOf(processId: number): Promise<{ owner: FleetNode | null; fromCache: boolean }> {
    const known = this.processes.cachedOwner(processId);
    const cached = known !== undefined && known !== this.nodeName ? (this.membership.knownNodes().find((node) => node.name === known) ?? null) : null;
    if (cached && cached.status === 'up') return { owner: cached, fromCache: true };
    return { owner: await this.ownerElsewhere(processId), fromCache: false };
  }

  /** The node that owns the process as etcd says now, where that is another node; null where it is this one or none. */
  private async ownerElsewhere(processId: number): Promise<FleetNode | null> {
    const record = await this.processes.recordOf(processId);
    if (!record || record.node === this.nodeName) return null;
    return this.nodeNamed(record.node);
  }

  /** The owner's answer; null for a read the owner cannot give (down, or silent): etcd's record answers then. */
  private async askOwner(request: FastifyRequest, owner: FleetNode, kind: 'read' | 'change'): Promise<PeerAnswer | null> {
    if (owner.status === 'down') {
      if (kind === 'change') throw new NodeUnreachableError(`the process is on node "${owner.name}", which is down: it takes no change until the node is back`);
      return null;
    }
    return this.send(owner, request, request.url, request.body).catch((error: unknown) => {
      if (kind === 'read' && error instanceof NodeUnreachableError) return null;
      throw error;
    });
  }

  private answerWith(reply: FastifyReply, answer: PeerAnswer): FastifyReply {
    reply.code(answer.status);
    for (const name of RELAYED_HEADERS) {
      const value = answer.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    return reply.send(answer.body);
  }

  /** This node's process JSON with where it runs, as a member of the fleet. */
  decorate(json: string, processId: number): string {
    return withNode(json, this.nodeName, 'up', this.processes.relocatable(processId));
  }

  /**
   * The other nodes' part of a list: each up node's answer to the same request (asked for itself
   * alone), and the last recorded JSON of the processes of nodes that are down or did not answer,
   * which `keep` filters as the list's query does. `more`: a node has more past its page.
   */
  async othersList(request: FastifyRequest, keep: (process: Readonly<Record<string, unknown>>) => boolean): Promise<{ items: ListedItem[]; more: boolean }> {
    const others = this.membership.knownNodes().filter((node) => node.name !== this.nodeName);
    const answers = await Promise.all(
      others.map((node) => (node.status === 'up' ? this.send(node, request, request.url, null).catch(() => null) : Promise.resolve(null))),
    );
    const items: ListedItem[] = [];
    let more = false;
    // A node that is down, or that did not answer (it died a moment ago): its processes as etcd last recorded them.
    const silent = new Set<string>();
    others.forEach((node, index) => {
      const answer = answers[index] ?? null;
      // 404: a name that is not on that node, which is not an error of the fleet's list; 401 or
      // 403: a partition token, which that node does not know: none of its processes is shown.
      if (answer?.status === 404 || answer?.status === 401 || answer?.status === 403) return;
      if (answer?.status !== 200) {
        silent.add(node.name);
        return;
      }
      if (answer.headers.link) more = true;
      const listed = JSON.parse(answer.body.toString('utf8')) as { processes: { id: number }[] };
      for (const shown of listed.processes) items.push({ id: shown.id, json: JSON.stringify(shown) });
    });
    const records = silent.size > 0 ? await this.processes.all().catch(() => [] as ProcessRecord[]) : [];
    for (const record of records) {
      if (!silent.has(record.node) || record.process === null || !keep(record.process)) continue;
      items.push({ id: record.id, json: withNode(JSON.stringify(record.process), record.node, 'down', record.relocatable) });
    }
    return { items, more };
  }

  /**
   * An operation on a partition, done by every other node: their results, and for each process of
   * the partition on a node that is down or did not answer, a FAILED result saying so.
   */
  async operateElsewhere(request: FastifyRequest, partition: string): Promise<OperationResultJson[]> {
    const others = this.membership.knownNodes().filter((node) => node.name !== this.nodeName);
    const answers = await Promise.all(others.map((node) => (node.status === 'up' ? this.send(node, request, request.url, request.body).catch(() => null) : Promise.resolve(null))));
    const results: OperationResultJson[] = [];
    const silent = new Set<string>();
    others.forEach((node, index) => {
      const answer = answers[index] ?? null;
      // 404: the partition is not on that node yet (its copy follows within a second), nor any process of it.
      if (answer?.status === 404) return;
      if (answer?.status === 200) results.push(...(JSON.parse(answer.body.toString('utf8')) as { processes: OperationResultJson[] }).processes);
      else silent.add(node.name);
    });
    if (silent.size === 0) return results;
    for (const record of await this.processes.all().catch(() => [] as ProcessRecord[])) {
      if (!silent.has(record.node) || record.partition !== partition) continue;
      const state = String((record.process as { state?: unknown } | null)?.state ?? 'DORMANT') as OperationResultJson['state'];
      results.push({ id: record.id, name: record.name, state, result: 'FAILED', reason: `its node "${record.node}" is down or did not answer: nothing was done to it` });
    }
    return results;
  }

  /** A process of a node that is down, as etcd last recorded it (null: nothing recorded yet). */
  async downProcessJson(processId: number): Promise<string | null> {
    const record = await this.processes.recordOf(processId);
    if (!record?.process) return null;
    return withNode(JSON.stringify(record.process), record.node, 'down', record.relocatable);
  }

  /** Throws unless this node fits the placement asked (a create another node sent on). */
  checkPlacedHere(asked: PlacementAsked): void {
    const self = this.membership.knownNodes().find((node) => node.name === this.nodeName);
    if (self) chooseNode([self], { ...asked, node: asked.node ?? self.name });
  }

  /** The node a new process goes to, from what etcd says now; null for this node. */
  async placement(asked: PlacementAsked): Promise<FleetNode | null> {
    const { nodes } = await this.membership.nodes();
    const chosen = chooseNode(nodes, asked);
    return chosen.name === this.nodeName ? null : chosen;
  }

  /** The process's JSON as now answered, recorded in etcd; a failure is left to the next join. */
  recordAfterChange(processId: number, json: string, logError: (error: unknown) => void): Promise<void> {
    return this.processes.record(processId, JSON.parse(json) as Record<string, unknown>).catch(logError);
  }

  private nodeNamed(name: string): FleetNode {
    const node = this.membership.knownNodes().find((candidate) => candidate.name === name);
    if (!node) throw new FleetUnreachableError(`node "${name}" owns the process but this node does not know it yet: try again`);
    return node;
  }

  private send(node: FleetNode, request: FastifyRequest, path: string, body: unknown): Promise<PeerAnswer> {
    const authorization = request.headers.authorization;
    return this.peers.send(node, { method: request.method, path, authorization, body: body === undefined || body === null ? null : JSON.stringify(body) });
  }
}

/** The JSON object with the three fleet fields added at its end. */
function withNode(json: string, node: string, nodeStatus: 'up' | 'down', relocatable: boolean): string {
  return `${json.slice(0, -1)},"node":${JSON.stringify(node)},"nodeStatus":"${nodeStatus}","relocatable":${relocatable}}`;
}

