// Requests from one node of the fleet to another: over HTTPS pinned to the certificate the other
// registered (its SHA-256 fingerprint: the connection is dropped before a byte of the request is
// sent if the certificate differs), or plain HTTP to a node that serves without TLS. Connections
// are kept alive per node.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectionOptions } from 'node:tls';
import { NodeUnreachableError } from '../errors/sigmaErrors.js';
import type { NodeRecord } from './fleetMembership.js';

/** Marks a request one node sends another: the receiver answers for itself alone. */
export const FORWARDED_BY_HEADER = 'x-sigma-forwarded-by';
const PEER_TIMEOUT_MS = 10_000;
const SOCKETS_PER_NODE = 16;

export interface PeerAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface PeerRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly path: string;
  readonly authorization: string | undefined;
  /** JSON, or null for none. */
  readonly body: string | null;
}

/** An HTTPS agent whose connections are to one certificate only. */
class PinnedAgent extends HttpsAgent {
  constructor(private readonly fingerprint: string) {
    super({ keepAlive: true, maxSockets: SOCKETS_PER_NODE });
  }

  override createConnection(options: ConnectionOptions, done: (error: Error | null, socket?: Duplex) => void): Duplex | undefined {
    let settled = false;
    const settle = (error: Error | null, socket?: Duplex): void => {
      if (settled) return;
      settled = true;
      done(error, socket);
    };
    // The certificate is trusted by its pinned fingerprint, not by a chain.
    const socket = connect({ ...options, rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      if (seen === this.fingerprint) return settle(null, socket);
      socket.destroy();
      settle(new Error(`its certificate (${seen}) is not the one it registered (${this.fingerprint})`));
    });
    socket.once('error', (error) => settle(error));
    return undefined;
  }
}

export class PeerRequests {
  private readonly agents = new Map<string, HttpAgent | HttpsAgent>();

  constructor(private readonly selfName: string) {}

  /**
   * The answer of `node` as it comes, its body a stream (a followed log stays open): for the
   * owner's own routes, passed on as they are read. No timeout once the headers have come.
   */
  open(node: NodeRecord, request: PeerRequest): Promise<IncomingMessage> {
    return this.exchange(node, request, PEER_TIMEOUT_MS, true);
  }

  /** The answer of `node`, whole. */
  async send(node: NodeRecord, request: PeerRequest, timeoutMs = PEER_TIMEOUT_MS): Promise<PeerAnswer> {
    const incoming = await this.exchange(node, request, timeoutMs, false);
    return new Promise<PeerAnswer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, body: Buffer.concat(chunks) }));
      incoming.on('error', reject);
    }).catch((error: unknown) => {
      throw unreachable(node, error);
    });
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  /** Sends the request; the answer once its headers have come (`streamed`: no timeout after). */
  private exchange(node: NodeRecord, request: PeerRequest, timeoutMs: number, streamed: boolean): Promise<IncomingMessage> {
    const url = new URL(request.path, node.url);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: this.selfName };
    if (!streamed) headers.accept = 'application/json';
    if (request.authorization) headers.authorization = request.authorization;
    if (request.body !== null) headers['content-type'] = 'application/json';
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: this.agentOf(node, secure), timeout: timeoutMs }, (incoming) => {
        if (streamed) outgoing.setTimeout(0);
        resolve(incoming);
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(request.body ?? undefined);
    }).catch((error: unknown) => {
      throw unreachable(node, error);
    });
  }


  private agentOf(node: NodeRecord, secure: boolean): HttpAgent | HttpsAgent {
    const key = `${node.url} ${node.fingerprint ?? ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      if (secure && !node.fingerprint) throw new NodeUnreachableError(`node "${node.name}" serves HTTPS but registered no certificate fingerprint`);
      agent = secure ? new PinnedAgent(node.fingerprint as string) : new HttpAgent({ keepAlive: true, maxSockets: SOCKETS_PER_NODE });
      this.agents.set(key, agent);
    }
    return agent;
  }
}

function unreachable(node: NodeRecord, error: unknown): NodeUnreachableError {
  if (error instanceof NodeUnreachableError) return error;
  return new NodeUnreachableError(`node "${node.name}" (${node.url}) did not answer: ${error instanceof Error ? error.message : String(error)}`);
}
