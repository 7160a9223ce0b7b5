// Requests to the daemon's API at the page's own origin (relative URLs, so a proxy may mount it
// under a prefix), with the token (the node token or a partition token). Error answers become ApiError with the API's message.
import type { CreateRequest, ManagedProcess, NodeFacts, NodeList, Operation, OperationResult, Partition, PartitionLimitsRequest, PartitionToken, Run } from './apiTypes.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  constructor(private readonly token: string) {}

  async listProcesses(): Promise<ManagedProcess[]> {
    const body = (await this.json('GET', 'processes')) as { processes: ManagedProcess[] };
    return body.processes;
  }

  /** The partitions this token may see: all of them for the node token, its own for a partition token. */
  async listPartitions(): Promise<Partition[]> {
    const body = (await this.json('GET', 'partitions')) as { partitions: Partition[] };
    return body.partitions;
  }

  /** Node token only (a partition token is answered 403): whether this node is in a fleet. */
  async nodeFacts(): Promise<NodeFacts> {
    const body = (await this.json('GET', 'node')) as NodeFacts;
    return { nodeName: body.nodeName ?? null, fleet: body.fleet ?? null };
  }

  /** Node token only: the fleet's nodes, or this node alone when it is in none. */
  async listNodes(): Promise<NodeList> {
    return (await this.json('GET', 'nodes')) as NodeList;
  }

  /** The process, or null when it no longer exists. */
  async getProcess(id: number): Promise<ManagedProcess | null> {
    try {
      const body = (await this.json('GET', `processes/${id}`)) as { processes: ManagedProcess[] };
      return body.processes[0] ?? null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  async createProcess(request: CreateRequest): Promise<ManagedProcess> {
    const body = (await this.json('POST', 'processes', request)) as { processes: ManagedProcess[] };
    const created = body.processes[0];
    if (!created) throw new ApiError(0, 'SIGMA_DASHBOARD_EMPTY_ANSWER', 'the daemon answered without the new process');
    return created;
  }

  async operate(id: number, operation: Operation): Promise<OperationResult> {
    const body = (await this.json('PUT', `processes/${id}`, { operation })) as { processes: OperationResult[] };
    const result = body.processes[0];
    if (!result) throw new ApiError(0, 'SIGMA_DASHBOARD_EMPTY_ANSWER', 'the daemon answered without a result');
    return result;
  }

  /** One operation on every process of the partition: one result per process (none when it has none). */
  async operatePartition(name: string, operation: Operation): Promise<OperationResult[]> {
    const body = (await this.json('PUT', `partitions/${encodeURIComponent(name)}`, { operation })) as { processes: OperationResult[] };
    return body.processes;
  }

  /** Node token only. 409 when the name is taken; 400 with the API's message for a bad value. */
  async createPartition(request: PartitionLimitsRequest & { name: string }): Promise<Partition> {
    const body = (await this.json('POST', 'partitions', request)) as { partitions: Partition[] };
    const created = body.partitions[0];
    if (!created) throw new ApiError(0, 'SIGMA_DASHBOARD_EMPTY_ANSWER', 'the daemon answered without the new partition');
    return created;
  }

  /** Node token only. Limits sent change (null removes one); those not sent keep theirs. */
  async changePartitionLimits(name: string, limits: PartitionLimitsRequest): Promise<void> {
    await this.send('PUT', `partitions/${encodeURIComponent(name)}`, limits);
  }

  /** Node token only. 409 while it has processes, and always for `default`. */
  async deletePartition(name: string): Promise<void> {
    await this.send('DELETE', `partitions/${encodeURIComponent(name)}`);
  }

  /** Node token only: the partition's tokens, without their secrets. */
  async listTokens(partition: string): Promise<PartitionToken[]> {
    const body = (await this.json('GET', `partitions/${encodeURIComponent(partition)}/tokens`)) as { tokens: PartitionToken[] };
    return body.tokens;
  }

  /** Node token only: a new token, with its secret (this answer is the only one that holds it). */
  async createToken(partition: string, label: string | null): Promise<PartitionToken & { token: string }> {
    const body = (await this.json('POST', `partitions/${encodeURIComponent(partition)}/tokens`, label === null ? {} : { label })) as {
      tokens: Array<PartitionToken & { token: string }>;
    };
    const created = body.tokens[0];
    if (!created) throw new ApiError(0, 'SIGMA_DASHBOARD_EMPTY_ANSWER', 'the daemon answered without the new token');
    return created;
  }

  /** Node token only: the token stops working at once. */
  async revokeToken(partition: string, id: number): Promise<void> {
    await this.send('DELETE', `partitions/${encodeURIComponent(partition)}/tokens/${id}`);
  }

  async deleteProcess(id: number): Promise<void> {
    await this.send('DELETE', `processes/${id}`);
  }

  async listRuns(id: number, limit: number): Promise<Run[]> {
    const body = (await this.json('GET', `processes/${id}/runs?limit=${limit}`)) as { runs: Run[] };
    return body.runs;
  }

  /** A streaming GET (events, followed logs): the caller reads the body and aborts with the signal. */
  async openStream(path: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
    return this.send('GET', path, undefined, signal, headers);
  }

  private async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.send(method, path, body);
    return response.json();
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: signal ?? null, cache: 'no-store' });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'SIGMA_DASHBOARD_UNREACHABLE', 'the daemon cannot be reached');
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { code?: string; message?: string };
    return new ApiError(response.status, parsed.code ?? '', parsed.message ?? `${response.status} ${response.statusText}`);
  } catch {
    return new ApiError(response.status, '', `${response.status} ${response.statusText}`);
  }
}
