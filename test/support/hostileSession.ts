// Plays a list of hostile steps against one daemon: turns each step into a raw request, checks
// every answer (never a 5xx, errors in sigma's shape, the daemon alive), refuses nothing less than
// a 4xx for a request invalid by construction and checks that it changed nothing, checks the job
// invariants every few requests, and keeps a count of what it sent.
import { STATUS_CODES } from 'node:http';
import type { IdChoice, Step } from './hostileStep.js';
import { invariantProblems, isLive, jobsInProc, readProcEntry, type ProcessView } from './jobInvariants.js';
import { sendRaw, type RawReply, type RawRequest } from './rawHttp.js';
import { SeenJobs } from './seenJobs.js';
import type { SigmaDaemon } from './sigmaDaemon.js';

/** Where generated requests on /partitions/{name} go (made by the test before the first step). */
export const HOSTILE_PARTITION = 'hostile';

/** Counts by kind of request, over all sessions of a test. */
export class RequestCounts {
  readonly byKind = new Map<string, number>();
  readonly byStatus = new Map<number, number>();

  add(kind: string, status?: number): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    if (status !== undefined) this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  total(prefix: string): number {
    return [...this.byKind].filter(([kind]) => kind.startsWith(prefix)).reduce((sum, [, count]) => sum + count, 0);
  }

  report(): string {
    const kinds = [...this.byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => `  ${String(count).padStart(6)}  ${kind}`);
    const statuses = [...this.byStatus].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
    return [...kinds, `  statuses: ${statuses.join(', ')}`].join('\n');
  }
}

export class HostileFailure extends Error {}

interface NodeState {
  processes: ProcessView[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  partitions: any[];
  tokens: unknown;
}

const DEFINITION_FIELDS = ['id', 'name', 'partition', 'type', 'period', 'command', 'cwd', 'env', 'stopTimeoutMs', 'createdAt'];
const PARTITION_FIELDS = ['name', 'maxRunning', 'cpu', 'memoryBytes', 'pids', 'processes', 'createdAt'];

/**
 * What changed between two reads of the node that no request in between may change by itself:
 * processes, their definitions, the partitions and their tokens; and a DORMANT or SUSPENDEND process
 * stays so (a started one may end or be released on its own, so its state is not compared).
 */
export function stateChanges(before: NodeState, after: NodeState): string[] {
  const pick = (value: Record<string, unknown>, fields: readonly string[]): string => JSON.stringify(fields.map((field) => value[field]));
  const problems: string[] = [];
  const afterById = new Map(after.processes.map((process) => [process.id, process]));
  if (JSON.stringify(after.processes.map((p) => p.id)) !== JSON.stringify(before.processes.map((p) => p.id))) {
    problems.push(`processes ${JSON.stringify(before.processes.map((p) => p.id))} became ${JSON.stringify(after.processes.map((p) => p.id))}`);
  }
  for (const old of before.processes) {
    const now = afterById.get(old.id);
    if (!now) continue;
    if (pick(now, DEFINITION_FIELDS) !== pick(old, DEFINITION_FIELDS)) problems.push(`process ${old.id}: definition ${pick(old, DEFINITION_FIELDS)} became ${pick(now, DEFINITION_FIELDS)}`);
    if ((old.state === 'DORMANT' || old.state === 'SUSPENDEND') && now.state !== old.state) problems.push(`process ${old.id}: ${old.state} became ${now.state}`);
  }
  const partitions = (state: NodeState): string => JSON.stringify(state.partitions.map((partition) => pick(partition, PARTITION_FIELDS)));
  if (partitions(after) !== partitions(before)) problems.push(`partitions ${partitions(before)} became ${partitions(after)}`);
  if (JSON.stringify(after.tokens) !== JSON.stringify(before.tokens)) problems.push(`tokens ${JSON.stringify(before.tokens)} became ${JSON.stringify(after.tokens)}`);
  return problems;
}

const ERROR_KEYS = JSON.stringify(['code', 'error', 'message', 'statusCode']);

/** What is wrong with an answer, whatever the request was. */
export function answerProblems(request: RawRequest, reply: RawReply): string[] {
  const problems: string[] = [];
  if (reply.status >= 500 || reply.status < 100) problems.push(`status ${reply.status}`);
  if (reply.status < 400 || request.method === 'HEAD') return problems;
  if (!String(reply.headers['content-type'] ?? '').startsWith('application/json')) problems.push(`content-type ${String(reply.headers['content-type'])}`);
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(reply.text);
  } catch {
    problems.push('the error body is not JSON');
  }
  if (body !== null) {
    if (typeof body !== 'object' || Array.isArray(body) || JSON.stringify(Object.keys(body).sort()) !== ERROR_KEYS) {
      problems.push('the error body is not {statusCode, code, error, message}');
    } else {
      if (body.statusCode !== reply.status) problems.push(`statusCode ${String(body.statusCode)} in a ${reply.status} answer`);
      if (typeof body.code !== 'string' || !/^SIGMA_ERR_[A-Z_]+$/.test(body.code)) problems.push(`code ${String(body.code)}`);
      if (body.error !== STATUS_CODES[reply.status]) problems.push(`error "${String(body.error)}"`);
      if (typeof body.message !== 'string' || body.message === '') problems.push('no message');
    }
  }
  return problems;
}

const preview = (value: string | Buffer | undefined, length = 300): string => {
  if (value === undefined) return '(none)';
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
  return JSON.stringify(text.length > length ? `${text.slice(0, length)}… (${text.length} characters)` : text);
};

export function describeExchange(request: RawRequest, reply: RawReply | null): string {
  return [
    `request: ${request.method} ${preview(request.path, 200)} headers ${JSON.stringify(request.headers ?? {}).slice(0, 200)} body ${preview(request.body)}`,
    reply ? `answer: ${reply.status} ${String(reply.headers['content-type'] ?? '')} ${preview(reply.text)}` : 'answer: none',
  ].join('\n  ');
}

export interface SessionLimits {
  /** Most processes kept at once: past it, the oldest is deleted before a create. */
  maxProcesses: number;
  /** Requests between two checks of the invariants. */
  checkEvery: number;
}

export class HostileSession {
  /** Ids of the processes this session created, oldest first. */
  readonly known: number[] = [];
  /** Every job seen, to assert at the end that none is left (and to end them if the session fails). */
  readonly jobs = new SeenJobs();
  private sequence = 0;
  private requestsSinceCheck = 0;

  constructor(
    public daemon: SigmaDaemon,
    private readonly counts: RequestCounts,
    private readonly limits: SessionLimits,
  ) {}

  async play(steps: readonly Step[]): Promise<void> {
    for (const [index, step] of steps.entries()) {
      try {
        await this.playStep(step);
        if (++this.requestsSinceCheck >= this.limits.checkEvery) await this.checkInvariants();
      } catch (error) {
        if (error instanceof HostileFailure) throw new HostileFailure(`step ${index} (${JSON.stringify(step).slice(0, 300)}):\n  ${error.message}`);
        throw error;
      }
    }
  }

  private async playStep(step: Step): Promise<void> {
    if (step.kind === 'operation') return this.operate(step);
    if (step.kind === 'burst') return this.burst(step);
    if (step.method === 'POST' && (step.kind === 'valid' ? step.template === '/processes' : step.path === '/processes')) await this.makeRoom();
    if (step.kind === 'valid') {
      const query = new URLSearchParams(Object.entries(step.query).map(([key, value]) => [key, String(value)])).toString();
      const path = `${this.filled(step.template, step.id)}${query ? `?${query}` : ''}`;
      const withBody = step.body !== undefined;
      await this.send(`valid ${step.method} ${step.template}`, {
        method: step.method,
        path,
        headers: { authorization: `Bearer ${this.daemon.token}`, ...(withBody ? { 'content-type': 'application/json' } : {}) },
        ...(withBody ? { body: JSON.stringify(step.body) } : {}),
      });
      return;
    }
    const request: RawRequest = {
      method: step.method,
      path: this.filled(step.path, step.id),
      headers: { authorization: `Bearer ${this.daemon.token}`, ...step.headers },
      ...(step.body !== undefined ? { body: step.body } : {}),
    };
    if (!step.invalid) {
      await this.send(`mutated: ${step.mutation}`, request);
      return;
    }
    const before = await this.nodeState();
    const reply = await this.send(`mutated: ${step.mutation}`, request);
    const problems = reply.status >= 400 && reply.status < 500 ? [] : [`status ${reply.status}: a request invalid by construction must be refused with a 4xx`];
    problems.push(...stateChanges(before, await this.nodeState()));
    if (problems.length > 0) throw new HostileFailure(`${problems.join('; ')}\n  ${describeExchange(request, reply)}`);
  }

  /** What the node holds that a refused request must leave as it was (see `stateChanges`). */
  private async nodeState(): Promise<NodeState> {
    const partitions = await this.send('check: GET /partitions (around a refusal)', this.authorized('GET', '/partitions'), [200]);
    // The session's partition may have been deleted (404) by an earlier step.
    const tokens = await this.send('check: GET tokens (around a refusal)', this.authorized('GET', `/partitions/${HOSTILE_PARTITION}/tokens`), [200, 404]);
    return { processes: await this.list(), partitions: JSON.parse(partitions.text).partitions, tokens: { status: tokens.status, body: JSON.parse(tokens.text) } };
  }

  /** A path with a chosen process (or token) id, in the partition the session made for them. */
  private filled(template: string, choice: IdChoice): string {
    const id = String(this.resolve(choice));
    return template.replaceAll('{name}', HOSTILE_PARTITION).replaceAll('{id}', id).replaceAll('{tokenId}', id);
  }

  private resolve(choice: IdChoice): number {
    if ('literal' in choice) return choice.literal;
    return this.known.length === 0 ? choice.known + 1 : (this.known[choice.known % this.known.length] as number);
  }

  /** Sends one request and checks its answer; keeps `known` up to date. */
  async send(kind: string, request: RawRequest, expected?: readonly number[]): Promise<RawReply> {
    let reply: RawReply;
    try {
      reply = await sendRaw(this.daemon.url, request);
    } catch (error) {
      throw new HostileFailure(`${describeExchange(request, null)}\n  ${(error as Error).message}; daemon alive: ${this.daemonAlive()}\n  daemon stderr: ${this.daemon.stderr.slice(-2000)}`);
    }
    this.counts.add(kind, reply.status);
    const problems = answerProblems(request, reply);
    if (expected && !expected.includes(reply.status)) problems.push(`expected ${expected.join(' or ')}`);
    if (!this.daemonAlive()) problems.push('the daemon is gone');
    if (kind.startsWith('valid ') && (reply.status === 400 || reply.status === 415) && /SIGMA_ERR_REQUEST_(INVALID|CONTENT_TYPE)/.test(reply.text)) {
      problems.push('a request valid by the OpenAPI document was refused as malformed');
    }
    if (problems.length > 0) {
      throw new HostileFailure(`${problems.join('; ')}\n  ${describeExchange(request, reply)}\n  daemon stderr: ${this.daemon.stderr.slice(-2000)}`);
    }
    this.learn(request, reply);
    return reply;
  }

  private learn(request: RawRequest, reply: RawReply): void {
    if (!String(reply.headers['content-type'] ?? '').startsWith('application/json')) return;
    let body: { processes?: ProcessView[] } | undefined;
    try {
      body = JSON.parse(reply.text);
    } catch {
      return;
    }
    for (const process of body?.processes ?? []) if (typeof process?.pid === 'number') this.trackGroup(process.pid);
    const created = body?.processes?.[0];
    if (reply.status === 201 && typeof created?.id === 'number' && !this.known.includes(created.id)) this.known.push(created.id);
    const deleted = /^\/processes\/(\d+)$/.exec(request.path);
    if (request.method === 'DELETE' && reply.status === 204 && deleted) this.forget(Number(deleted[1]));
    if (reply.status === 404 && deleted && /SIGMA_ERR_PROCESS_NOT_FOUND/.test(reply.text)) this.forget(Number(deleted[1]));
  }

  private forget(id: number): void {
    const at = this.known.indexOf(id);
    if (at !== -1) this.known.splice(at, 1);
  }

  trackGroup(pid: number): void {
    this.jobs.note(pid, this.daemon.jobParentPid);
  }

  private daemonAlive(): boolean {
    const child = this.daemon.child;
    return child.exitCode === null && child.signalCode === null && isLive(readProcEntry(this.daemon.pid));
  }

  private authorized(method: string, path: string, body?: unknown): RawRequest {
    return {
      method,
      path,
      headers: { authorization: `Bearer ${this.daemon.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    };
  }

  private async makeRoom(): Promise<void> {
    while (this.known.length >= this.limits.maxProcesses) {
      const oldest = this.known[0] as number;
      await this.send('operation: DELETE (to stay under the process cap)', this.authorized('DELETE', `/processes/${oldest}`), [204, 404]);
      this.forget(oldest);
    }
  }

  private async operate(step: Extract<Step, { kind: 'operation' }>): Promise<void> {
    const kind = `operation: ${step.operation}`;
    const name = `real.${++this.sequence}.${step.operation}`;
    const state = step.startNow ? 'RUNNING' : 'DORMANT';
    switch (step.operation) {
      case 'create-sleep':
        await this.makeRoom();
        await this.send(kind, this.authorized('POST', '/processes', { name, command: ['sleep', '30'], state }), [201]);
        return;
      case 'create-true':
        await this.makeRoom();
        await this.send(kind, this.authorized('POST', '/processes', { name, command: ['true'], state: 'RUNNING' }), [201]);
        return;
      case 'create-periodic':
        await this.makeRoom();
        await this.send(
          kind,
          this.authorized('POST', '/processes', { name, type: 'PERIODIC', period: step.periodMs, command: step.startNow ? ['true'] : ['sleep', '30'], state: 'RUNNING' }),
          [201],
        );
        return;
      default: {
        if (this.known.length === 0) return;
        const id = this.known[step.target % this.known.length] as number;
        if (step.operation === 'DELETE') {
          await this.send(kind, this.authorized('DELETE', `/processes/${id}`), [204, 404]);
          return;
        }
        await this.send(kind, this.authorized('PUT', `/processes/${id}`, { operation: step.operation }), [200, 404]);
      }
    }
  }

  private async burst(step: Extract<Step, { kind: 'burst' }>): Promise<void> {
    if (this.known.length === 0) return;
    const id = this.known[step.target % this.known.length] as number;
    await Promise.all(
      step.operations.map((operation) =>
        operation === 'DELETE'
          ? this.send('burst: DELETE', this.authorized('DELETE', `/processes/${id}`), [204, 404])
          : this.send(`burst: ${operation}`, this.authorized('PUT', `/processes/${id}`, { operation }), [200, 404]),
      ),
    );
  }

  async list(): Promise<ProcessView[]> {
    const reply = await this.send('check: GET /processes', this.authorized('GET', '/processes'), [200]);
    return JSON.parse(reply.text).processes as ProcessView[];
  }

  async checkInvariants(): Promise<void> {
    this.requestsSinceCheck = 0;
    this.counts.add('check: invariants against /proc');
    const before = await this.list();
    const proc = jobsInProc(this.daemon.jobParentPid);
    const after = await this.list();
    for (const child of proc.children) if (isLive(child) && child.sigmaProcessId !== null) this.trackGroup(child.pid);
    for (const process of [...before, ...after]) if (typeof process.pid === 'number') this.trackGroup(process.pid);
    const problems = invariantProblems(this.daemon.jobParentPid, before, proc, after);
    if (problems.length > 0) {
      throw new HostileFailure(`invariants broken:\n  ${problems.join('\n  ')}\n  processes: ${JSON.stringify(after).slice(0, 3000)}`);
    }
  }
}
