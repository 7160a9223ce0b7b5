// Starts the real, built daemon as a child process on a temp data dir and port 0, and talks to
// it over real HTTP(S). Every test ends the daemons and the process groups it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeJobCgroups } from './jobCgroupCleanup.js';
import { killGroup, startTimeOf } from './osProcesses.js';
import { waitFor } from './waitFor.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
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
}

export class SigmaDaemon {
  readonly stdoutLines: string[] = [];
  stderr = '';
  url = '';
  token = TEST_TOKEN;
  /** The daemon's parent of its job cgroups (GET /node), null without cgroups. */
  jobCgroupParent: string | null = null;
  private exit: Promise<number | null>;

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
      ...(options.args ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIGMA_TOKEN: '' } });
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
    const serving = await waitFor(
      'the daemon to print "sigma serving <url>"',
      () => daemon.stdoutLines.find((line) => line.startsWith('sigma serving ')) ?? (child.exitCode !== null ? `exited ${child.exitCode}: ${daemon.stderr}` : null),
      (line) => line !== null,
      15_000,
    );
    if (!serving?.startsWith('sigma serving ')) throw new Error(`the daemon did not start: ${serving}`);
    daemon.url = serving.slice('sigma serving '.length).trim();
    if (!withToken) daemon.token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    daemon.jobCgroupParent = (await daemon.request('GET', '/node')).body?.jobTracking?.cgroup ?? null;
    return daemon;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
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

  /** SIGTERM, then waits for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.waitExit();
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.waitExit();
  }

  async waitExit(timeoutMs = 20_000): Promise<number | null> {
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const code = await Promise.race([this.exit, timer]);
    if (code === 'timeout') throw new Error(`the daemon (pid ${this.pid}) did not exit within ${timeoutMs} ms`);
    return code;
  }

  removeDataDir(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const started = new Set<SigmaDaemon>();
/** Job groups by leader pid, with the leader's start time: a pid reused later is never signalled. */
const jobGroups = new Map<number, string | null>();

/** Records a job's process group so the test's cleanup ends it if anything of it is left. */
export function trackJobGroup(pid: number): void {
  if (!jobGroups.has(pid)) jobGroups.set(pid, startTimeOf(pid));
}

/** Ends every daemon and job group started by the test; call from afterEach. */
export async function cleanUpDaemons(): Promise<void> {
  for (const daemon of started) {
    await daemon.kill().catch(() => undefined);
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
