// The daemon as a user starts it (`sigma serve ...`: the CLI with the Node flags its first line
// gives) on a free loopback port and a temp data dir, its figures from /proc, and its end: SIGTERM, then SIGKILL if it will not go.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/nodeFlags.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;

export interface DaemonStartOptions {
  readonly tls: boolean;
  readonly token: string;
  readonly logLevel: string;
  readonly logPath: string;
  readonly cpuProfileDir: string | null;
  /** Put in the daemon's environment, so every job it starts carries it too. */
  readonly jobMarker: { readonly name: string; readonly value: string };
}

export interface CpuTimes {
  readonly userMs: number;
  readonly systemMs: number;
  /** Of the children it has reaped: its jobs. */
  readonly childrenMs: number;
}

export class DaemonUnderTest {
  private readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** /proc counts CPU time in USER_HZ ticks, 100 per second on Linux whatever the kernel's HZ. */
  private readonly clockTickMs = 1000 / 100;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly url: string,
    readonly ca: Buffer | null,
    private readonly log: WriteStream,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  static async start(options: DaemonStartOptions): Promise<DaemonUnderTest> {
    const dataDir = mkdtempSync(join(tmpdir(), 'sigma-soak-'));
    const port = await freeLoopbackPort();
    const nodeFlags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    const args = [
      ...DAEMON_NODE_FLAGS,
      ...nodeFlags,
      CLI_PATH,
      'serve',
      '--host',
      HOST,
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--token',
      options.token,
      '--log-level',
      options.logLevel,
      ...(options.tls ? [] : ['--no-tls']),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, [options.jobMarker.name]: options.jobMarker.value };
    delete env.SIGMA_TOKEN;
    delete env.SIGMA_DATA_DIR;
    delete env.SIGMA_LOG_LEVEL;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const log = createWriteStream(options.logPath);
    child.stderr?.pipe(log);
    const url = await waitForServing(child);
    const ca = options.tls ? readFileSync(join(dataDir, 'tls', 'cert.pem')) : null;
    return new DaemonUnderTest(child, dataDir, url, ca, log);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident set size from /proc/<pid>/status, in KiB. */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  cpuTimes(): CpuTimes {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after it are positional (utime is field 14).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (field: number): number => Number(fields[field - 3]);
    return {
      userMs: ticks(14) * this.clockTickMs,
      systemMs: ticks(15) * this.clockTickMs,
      childrenMs: (ticks(16) + ticks(17)) * this.clockTickMs,
    };
  }

  /** SIGTERM, and SIGKILL if it has not exited after killAfterMs. */
  async stop(killAfterMs: number): Promise<{ code: number | null; signal: string | null; killed: boolean; stopMs: number }> {
    const startMs = performance.now();
    if (this.running) this.child.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.kill();
    }, killAfterMs);
    const exit = await this.exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => this.log.end(resolve));
    return { ...exit, killed, stopMs: performance.now() - startMs };
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  removeDataDir(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the loopback listener');
  return address.port;
}

function waitForServing(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(`the daemon printed no "sigma serving <url>" within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (message: string): void => {
      clearTimeout(timer);
      reject(new Error(`${message}; it printed: ${stdout.trim() || '(nothing)'}`));
    };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const serving = /^sigma serving (\S+)$/m.exec(stdout);
      if (serving) {
        clearTimeout(timer);
        resolve(serving[1] as string);
      }
    });
    child.once('exit', (code, signal) => fail(`the daemon exited (${signal ?? code}) before serving (see soak/results/daemon.log)`));
  });
}
