// Starts the real, built daemon as a child process on a temp data dir and port 0, and talks to
// it over real HTTP(S). Every test ends the daemons and the process groups it started.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/nodeFlags.js';
import { documentCheckOf, type DocumentCheck } from './documentCheck.js';
import { removeJobCgroups } from './jobCgroupCleanup.js';
import { killGroup, procState, startTimeOf } from './osProcesses.js';
import { waitFor } from './waitFor.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/**
 * Where the daemons of a test run put their jobs: `SIGMA_TEST_LAUNCHER=in-process npm test` runs
 * the whole suite on the in-process host; by default the daemon chooses (the native launcher).
 */
export const TEST_LAUNCHER = process.env.SIGMA_TEST_LAUNCHER ?? null;

/**
 * The test runner's environment without its own switches (SIGMA_TEST_*, SIGMA_REQUIRE_*, which CI
 * sets): the daemon, and every job it starts, sees what it would see started by hand.
 */
function daemonEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^SIGMA_(TEST|REQUIRE)_/.test(name)));
}
export const NATIVE = TEST_LAUNCHER !== 'in-process';
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface DaemonOptions {
  dataDir?: string;
  /** Extra flags for `sigma serve`. */
  args?: string[];
  tls?: boolean;
  /** Pass the test token with --token (default true); false lets the daemon generate one. */
  withToken?: boolean;
  /** Run the daemon under `prlimit --nofile=<n>:<hard>`: its descriptor limit. */
  nofile?: number;
  /** The hard descriptor limit with `nofile` (default: `nofile`). */
  nofileHard?: number;
}

export class SigmaDaemon {
  readonly stdoutLines: string[] = [];
  stderr = '';
  url = '';
  token = TEST_TOKEN;
  /** The daemon's parent of its job cgroups (GET /node), null without cgroups. */
  jobCgroupParent: string | null = null;
  /** The launcher holding its jobs (GET /node), null in-process. */
  launcherPid: number | null = null;
  private exit: Promise<number | null>;
  /** Set when the test itself stops or kills it. */
  expectedExit = false;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly tls: boolean,
  ) {
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: DaemonOptions = {}): Promise<SigmaDaemon> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sigma-test-'));
    const tls = options.tls ?? false;
    const withToken = options.withToken ?? true;
    const args = [
      ...DAEMON_NODE_FLAGS,
      CLI_PATH,
      'serve',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--log-level',
      'warn',
      ...(tls ? [] : ['--no-tls']),
      ...(withToken ? ['--token', TEST_TOKEN] : []),
      ...(TEST_LAUNCHER && !(options.args ?? []).some((arg) => arg.startsWith('--launcher')) ? ['--launcher', TEST_LAUNCHER] : []),
      ...(options.args ?? []),
    ];
    // prlimit sets the limit and execs node: the child's pid is the daemon's.
    const [file, argv] = options.nofile === undefined ? [process.execPath, args] : ['prlimit', [`--nofile=${options.nofile}:${options.nofileHard ?? options.nofile}`, '--', process.execPath, ...args]];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...daemonEnvironment(), SIGMA_TOKEN: '' } });
    const daemon = new SigmaDaemon(child, dataDir, tls);
    started.add(daemon);
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      daemon.stdoutLines.push(...lines);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (daemon.stderr += chunk));
    // A daemon that dies on its own is a failure of the daemon: its last words go to the test's output.
    child.once('exit', (code, signal) => {
      if (daemon.expectedExit || daemon.url === '' || (code === 0 && signal === null)) return;
      let launcherLog = '(none)';
      try {
        launcherLog = readFileSync(join(dataDir, 'launcher.log'), 'utf8').slice(-4000);
      } catch {
        // In-process, or removed already.
      }
      process.stderr.write(`sigma daemon ${child.pid} exited (${code ?? signal}) unexpectedly:\n${daemon.stderr.slice(-4000)}\nlauncher.log:\n${launcherLog}\n`);
    });
    const serving = await waitFor(
      'the daemon to print "sigma serving <url>"',
      () => daemon.stdoutLines.find((line) => line.startsWith('sigma serving ')) ?? (child.exitCode !== null ? `exited ${child.exitCode}: ${daemon.stderr}` : null),
      (line) => line !== null,
      15_000,
    );
    if (!serving?.startsWith('sigma serving ')) throw new Error(`the daemon did not start: ${serving}`);
    daemon.url = serving.slice('sigma serving '.length).trim();
    if (!withToken) daemon.token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const node = (await daemon.request('GET', '/node')).body;
    daemon.jobCgroupParent = node?.jobTracking?.cgroup ?? null;
    daemon.launcherPid = node?.launcherPid ?? null;
    if (daemon.launcherPid !== null) trackLauncher(daemon.launcherPid);
    return daemon;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** The parent of its jobs: the launcher, or the daemon itself in-process. */
  get jobParentPid(): number {
    return this.launcherPid ?? this.pid;
  }

  /** Sends a request; its answer is checked against the document the daemon serves (documentCheck.ts). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const reply = await this.exchange(method, path, body, headers);
    const check = path.startsWith('/openapi.json') ? null : await this.documentCheck();
    const mismatch = check?.mismatch(method, path, reply.status, String(reply.headers['content-type'] ?? ''), reply.body) ?? null;
    if (mismatch !== null) throw new Error(`an answer the OpenAPI document does not tell: ${mismatch}`);
    return reply;
  }

  private documentChecked: Promise<DocumentCheck | null> | null = null;

  /**
   * The served document's check, fetched once; null if it cannot be had now (the daemon is gone or
   * stopping). A daemon that refuses it or has none fails the test: no answer would be checked.
   */
  private documentCheck(): Promise<DocumentCheck | null> {
    this.documentChecked ??= this.exchange('GET', '/openapi.json').then(
      (reply) => {
        if (reply.status === 200) return documentCheckOf(reply.text);
        if ([401, 403, 404].includes(reply.status)) throw new Error(`the daemon answered ${reply.status} for its OpenAPI document: no answer can be checked against it`);
        return null;
      },
      () => null,
    );
    return this.documentChecked;
  }

  private exchange(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const allHeaders: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    };
    for (const [key, value] of Object.entries(allHeaders)) if (value === '') delete allHeaders[key];
    const url = new URL(path, this.url);
    const send = this.tls ? httpsRequest : httpRequest;
    const ca = this.tls ? readFileSync(join(this.dataDir, 'tls', 'cert.pem')) : undefined;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers: allHeaders, ca }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  // Shorthands for the contract's routes.
  async create(definition: Record<string, unknown>): Promise<Reply> {
    return this.request('POST', '/processes', definition);
  }

  async operate(id: number, operation: string): Promise<Reply> {
    const reply = await this.request('PUT', `/processes/${id}`, { operation });
    const result = reply.body?.processes?.[0];
    if (result?.state === 'RUNNING' || result?.state === 'SUSPENDEND') {
      const process = await this.process(id);
      if (process?.pid) trackJobGroup(process.pid);
    }
    return reply;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async process(id: number): Promise<any> {
    const reply = await this.request('GET', `/processes/${id}`);
    const process = reply.body?.processes?.[0];
    if (process?.pid) trackJobGroup(process.pid);
    return process;
  }

  /** The process of this name, read as `process` reads it; throws when the node has none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async processNamed(name: string): Promise<any> {
    const reply = await this.request('GET', `/processes?process_name=${encodeURIComponent(name)}`);
    if (reply.status !== 200) throw new Error(`no process named ${name}: ${reply.status} ${reply.text}`);
    return this.process(reply.body.processes[0].id);
  }

  /** SIGTERM, then waits for the exit code. */
  async stop(): Promise<number | null> {
    this.expectedExit = true;
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.waitExit();
  }

  async kill(): Promise<void> {
    this.expectedExit = true;
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.waitExit();
  }

  /**
   * The daemon and whatever holds its jobs, killed outright (a power cut, or an operator's kill
   * -9 of both): with the native launcher, its jobs then have no parent that watches them.
   */
  async killOutright(): Promise<void> {
    await this.kill();
    const launcher = this.launcherPid;
    if (launcher === null) return;
    try {
      process.kill(launcher, 'SIGKILL');
    } catch {
      return;
    }
    await waitFor(`launcher ${launcher} to die`, () => startTimeOf(launcher) === null || isZombie(launcher), (gone) => gone, 5000);
  }

  async waitExit(timeoutMs = 20_000): Promise<number | null> {
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const code = await Promise.race([this.exit, timer]);
    if (code === 'timeout') throw new Error(`the daemon (pid ${this.pid}) did not exit within ${timeoutMs} ms`);
    return code;
  }

  removeDataDir(): void {
    try {
      rmSync(this.dataDir, { recursive: true, force: true });
    } catch (error) {
      // On a file system a test made read-only: it goes when the test unmounts it.
      if ((error as NodeJS.ErrnoException).code !== 'EROFS') throw error;
    }
  }
}

function isZombie(pid: number): boolean {
  return procState(pid) === 'Z';
}

const started = new Set<SigmaDaemon>();
/** Launchers by pid, with their start time: one a test's daemon started or adopted. */
const launchers = new Map<number, string | null>();

function trackLauncher(pid: number): void {
  if (!launchers.has(pid)) launchers.set(pid, startTimeOf(pid));
}

/**
 * A launcher outlives a daemon killed outright. Every process of its jobs is its descendant (it is
 * a subreaper): they are killed, round after round until none is left, then the launcher.
 */
async function endLauncher(pid: number, startTime: string | null): Promise<void> {
  if (startTime === null || startTimeOf(pid) !== startTime) return;
  for (let round = 0; round < 20; round += 1) {
    const descendants = descendantsOf(pid);
    if (descendants.length === 0) break;
    for (const descendant of descendants) killProcess(descendant);
    await sleep(20);
  }
  killProcess(pid);
  await waitFor(`launcher ${pid} to die`, () => startTimeOf(pid) === null || isZombie(pid), (gone) => gone, 5000).catch(() => undefined);
}

function descendantsOf(root: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of psEntries()) childrenOf.set(entry.ppid, [...(childrenOf.get(entry.ppid) ?? []), entry.pid]);
  const found: number[] = [];
  const stack = [...(childrenOf.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    found.push(pid);
    stack.push(...(childrenOf.get(pid) ?? []));
  }
  return found;
}

function psEntries(): { pid: number; ppid: number }[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, , stat]) => !stat?.startsWith('Z'))
    .map(([pid, ppid]) => ({ pid: Number(pid), ppid: Number(ppid) }));
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Job groups by leader pid, with the leader's start time: a pid reused later is never signalled. */
const jobGroups = new Map<number, string | null>();

/** Records a job's process group so the test's cleanup ends it if anything of it is left. */
export function trackJobGroup(pid: number): void {
  if (!jobGroups.has(pid)) jobGroups.set(pid, startTimeOf(pid));
}

export async function cleanUpDaemons(): Promise<void> {
  for (const daemon of started) await daemon.kill().catch(() => undefined);
  for (const [pid, startTime] of launchers) await endLauncher(pid, startTime);
  launchers.clear();
  for (const daemon of started) {
    if (daemon.jobCgroupParent) await removeJobCgroups(daemon.jobCgroupParent);
    daemon.removeDataDir();
  }
  started.clear();
  for (const [pgid, startTime] of jobGroups) {
    // A live process with the leader's pid but another start time is a stranger, and so is its
    // group; while the pid is free, nobody else can lead a group of that id.
    const now = startTimeOf(pgid);
    if (now === null || now === startTime) killGroup(pgid);
  }
  jobGroups.clear();
}
