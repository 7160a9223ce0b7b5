// A small bench for the state-table integration tests: one real daemon, the processes a test
// created through HTTP, every job group it has seen, and the OS truth read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { liveGroupMembers } from './osProcesses.js';
import { SigmaDaemon } from './sigmaDaemon.js';
import { waitFor } from './waitFor.js';

/** What PUT /processes/{id} answers for one process. */
export interface OperationResult {
  id: number;
  name: string;
  state: string;
  result: 'OK' | 'FAILED';
  reason?: string;
}

/** A live (non-zombie) process seen in /proc. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  comm: string;
}

/** Every process in /proc, read directly (fast enough to sample every few milliseconds). */
export function procTable(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    entries.push({ pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), comm });
  }
  return entries;
}

/** What the launcher's starters are called until they exec their job (native/launcher/starter.c). */
export const STARTER_NAME = 'sigma-starter';

/** Live (non-zombie) children of a process: for the daemon, its jobs' leaders. */
export function liveChildrenOf(ppid: number): ProcEntry[] {
  return procTable().filter((entry) => entry.ppid === ppid && entry.state !== 'Z' && entry.state !== 'X');
}

/** The process group of a live process, or null when it is gone. */
export function groupOf(pid: number): number | null {
  return procTable().find((entry) => entry.pid === pid)?.pgid ?? null;
}

/**
 * Lets time pass to show that something does NOT happen, and returns how long it really was
 * (test clock), so the assertions are on counts against the measured interval, not on timing.
 */
export async function letTimePass(ms: number): Promise<number> {
  const from = performance.now();
  await sleep(ms);
  return performance.now() - from;
}

/** How many releases of `periodMs` fit in a measured interval, with a generous band. */
export function releaseBand(elapsedMs: number, periodMs: number): { low: number; high: number; expected: number } {
  const expected = elapsedMs / periodMs;
  return { expected, low: Math.floor(expected * 0.7), high: Math.ceil(expected * 1.3) + 1 };
}

export function lineCount(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').length;
  } catch {
    return 0;
  }
}

export class Bench {
  /** Every job pid (= process group id) the test has seen. */
  readonly groups = new Set<number>();
  private names = 0;

  private constructor(readonly daemon: SigmaDaemon) {}

  static async start(args: string[] = []): Promise<Bench> {
    return new Bench(await SigmaDaemon.start({ args }));
  }

  /** POST /processes; returns the new id (asserts 201 and DORMANT unless it was started). */
  async create(definition: Record<string, unknown>): Promise<number> {
    const reply = await this.daemon.create({ name: `p${++this.names}`, ...definition });
    expect(reply.status, reply.text).toBe(201);
    return reply.body.processes[0].id as number;
  }

  /** PUT /processes/{id}; returns the operation result (asserts 200). */
  async op(id: number, operation: string): Promise<OperationResult> {
    const reply = await this.daemon.operate(id, operation);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.processes).toHaveLength(1);
    return reply.body.processes[0] as OperationResult;
  }

  /** GET /processes/{id}; records the job's group. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async get(id: number): Promise<any> {
    const process = await this.daemon.process(id);
    expect(process, `GET /processes/${id}`).toBeDefined();
    if (process.pid) this.groups.add(process.pid as number);
    return process;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async waitFor(id: number, what: string, accept: (process: any) => boolean, timeoutMs = 5000): Promise<any> {
    return waitFor(`process ${id} ${what}`, () => this.get(id), accept, timeoutMs);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async waitState(id: number, state: string, timeoutMs = 5000): Promise<any> {
    return this.waitFor(id, `to be ${state}`, (process) => process.state === state, timeoutMs);
  }

  /** Starts a long job and returns its pid, asserting it is RUNNING and alive. */
  async startRunning(id: number): Promise<number> {
    const started = await this.op(id, 'START');
    expect(started).toMatchObject({ result: 'OK', state: 'RUNNING' });
    const { pid } = await this.get(id);
    expect(pid).toBeTypeOf('number');
    return pid as number;
  }

  /**
   * Live children of the jobs' parent (the launcher, or the daemon): the leaders of its live jobs.
   * A starter that has not exec'd its job yet (a PERIODIC process's standby) is not one.
   */
  liveJobs(): ProcEntry[] {
    return liveChildrenOf(this.daemon.jobParentPid).filter((entry) => entry.comm !== STARTER_NAME);
  }

  /** STOPs every process that is not DORMANT and asserts nothing of any job is left. */
  async finish(): Promise<void> {
    const reply = await this.daemon.request('GET', '/processes');
    expect(reply.status, reply.text).toBe(200);
    for (const process of reply.body.processes as Array<{ id: number; state: string; pid: number | null }>) {
      if (process.pid) this.groups.add(process.pid);
      if (process.state === 'DORMANT') continue;
      expect(await this.op(process.id, 'STOP'), `STOP of process ${process.id} at the end`).toMatchObject({ result: 'OK', state: 'DORMANT' });
    }
    this.expectNothingLeft();
  }

  expectNothingLeft(): void {
    for (const pgid of this.groups) expect(liveGroupMembers(pgid), `live members of job group ${pgid}`).toEqual([]);
    expect(this.liveJobs(), 'live children of the jobs\' parent').toEqual([]);
  }
}

/** One cell of a state table that leaves the process as it was: the operation and its answer. */
export interface NoChangeCell {
  operation: 'START' | 'STOP' | 'SUSPEND' | 'RESUME';
  result: 'OK' | 'FAILED';
  /** What the reason of a FAILED answer must say. */
  reason?: RegExp;
}

/** The fields of a process that a no-change cell must leave as they were. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unchangedFields(process: any) {
  const { state, pid, startedAt, nextReleaseAt, lastExit, runs, overruns, failures } = process;
  return { state, pid, startedAt, nextReleaseAt, lastExit, runs, overruns, failures };
}

/**
 * Walks cells that must change nothing on process `id`: each answer carries the expected result
 * and the unchanged state, and afterwards the process (HTTP) and its job (/proc) are as before.
 */
export async function expectCellsChangeNothing(bench: Bench, id: number, cells: readonly NoChangeCell[]): Promise<void> {
  const before = await bench.get(id);
  const jobsBefore = bench.liveJobs().map((job) => job.pid).sort();
  for (const cell of cells) {
    const label = `${before.state} / ${cell.operation}`;
    const answer = await bench.op(id, cell.operation);
    expect(answer, label).toMatchObject({ id, result: cell.result, state: before.state });
    if (cell.reason) expect(answer.reason, `${label}: reason`).toMatch(cell.reason);
    else expect(answer.reason, `${label}: no reason on OK`).toBeUndefined();
    expect(unchangedFields(await bench.get(id)), `${label}: the process afterwards`).toEqual(unchangedFields(before));
    if (before.pid !== null) {
      const state = procStateOf(before.pid as number);
      if (before.state === 'SUSPENDEND') expect(state, `${label}: job ${before.pid} still stopped`).toBe('T');
      else expect(state, `${label}: job ${before.pid} still running`).not.toBe('T');
    }
    expect(bench.liveJobs().map((job) => job.pid).sort(), `${label}: the daemon's live jobs`).toEqual(jobsBefore);
  }
}

function procStateOf(pid: number): string | null {
  return procTable().find((entry) => entry.pid === pid)?.state ?? null;
}
