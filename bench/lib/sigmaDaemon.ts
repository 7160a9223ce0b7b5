// Starts the built daemon the way a user does (`node dist/cli/main.js serve ...`) on a free port
// and a temp data dir, and ends it by pid, with the launcher that holds its jobs (GET /node).
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/nodeFlags.js';
import { ApiClient } from './apiClient.js';
import { end, endLauncherOf, refuseWhenStopping, track, trackLauncher } from './cleanup.js';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';

export type LauncherMode = 'native' | 'in-process';

export interface SigmaDaemonOptions {
  readonly tls: boolean;
  readonly dataDir?: string;
  /** A given port (the one a daemon being replaced or killed served on); default: a free one. */
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  /** Extra flags for node itself, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** `--launcher`; default: none given, the daemon's own choice (native where it was built). */
  readonly launcher?: LauncherMode;
  /** `--replace`: take over from the daemon running on dataDir. */
  readonly replace?: boolean;
  readonly maxSockets?: number;
}

export interface SigmaDaemon {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly api: ApiClient;
  readonly certPath: string | null;
  readonly keyPath: string | null;
  /** Where its jobs run (GET /node). */
  readonly launcher: LauncherMode;
  /** The launcher holding its jobs (GET /node), null in-process. */
  readonly launcherPid: number | null;
  /** Its parent cgroup of job cgroups (GET /node), null without cgroups. */
  readonly jobCgroupParent: string | null;
  /** Settles with the daemon's exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (it ends its jobs), SIGKILL after a grace; then its launcher, unless another daemon holds it. */
  stop(): Promise<void>;
  /** SIGKILL to the daemon alone: its launcher and jobs run on (ended later by stop or endAll). */
  kill(): Promise<void>;
}

let snapshotCli: string | null = null;

/**
 * The daemon the bench runs: a copy of the build taken when the bench starts, so that a rebuild in
 * the working tree during the run cannot change the daemon under measurement.
 */
export function snapshotBuild(sourceDir = REPO_DIR): string {
  const root = tempDir('build');
  cpSync(join(sourceDir, 'dist'), join(root, 'dist'), { recursive: true });
  copyFileSync(join(sourceDir, 'package.json'), join(root, 'package.json'));
  const ownModules = join(sourceDir, 'node_modules');
  symlinkSync(existsSync(ownModules) ? ownModules : join(REPO_DIR, 'node_modules'), join(root, 'node_modules'));
  snapshotCli = join(root, 'dist', 'cli', 'main.js');
  return root;
}

export function cliPath(): string {
  return snapshotCli ?? join(REPO_DIR, 'dist', 'cli', 'main.js');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sigma-bench-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes the temp dirs of this run (data dirs, logs, configs), once everything in them has ended. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function startSigma(options: SigmaDaemonOptions): Promise<SigmaDaemon> {
  refuseWhenStopping('a daemon');
  const dataDir = options.dataDir ?? tempDir('data');
  const port = options.port ?? (await freePort());
  const entry = cliPath();
  const args = [
    // As `sigma serve` and `npm start` run it.
    ...DAEMON_NODE_FLAGS,
    ...(options.nodeArgs ?? []),
    entry,
    'serve',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--token',
    BENCH_TOKEN,
    '--log-level',
    'warn',
    ...(options.tls ? [] : ['--no-tls']),
    ...(options.launcher ? ['--launcher', options.launcher] : []),
    ...(options.replace ? ['--replace'] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, SIGMA_TOKEN: '' },
  });
  track(child, `sigma daemon on port ${port}`, 10_000);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
  // Appended: the daemons that follow each other on one data dir (a restart, --replace) keep one log.
  const stderrPath = join(dataDir, 'daemon.stderr.log');
  child.stderr.pipe(createWriteStream(stderrPath, { flags: 'a' }));
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the daemon did not start within 20 s: ${seen}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      const match = /sigma serving (\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited with ${code}: ${readFileSafe(stderrPath)}`));
    });
  });
  const certPath = options.tls ? join(dataDir, 'tls', 'cert.pem') : null;
  const keyPath = options.tls ? join(dataDir, 'tls', 'key.pem') : null;
  const api = new ApiClient(url, BENCH_TOKEN, certPath ? readFileSync(certPath, 'utf8') : null, options.maxSockets ?? 16);
  const pid = child.pid as number;
  const node = (await api.expect('GET', '/node', undefined, 200)).body as {
    launcher: LauncherMode;
    launcherPid: number | null;
    jobTracking?: { cgroup?: string | null };
  };
  const jobCgroupParent = node.jobTracking?.cgroup ?? null;
  if (node.launcherPid !== null) trackLauncher(node.launcherPid, pid, jobCgroupParent);
  return {
    pid,
    url,
    port,
    dataDir,
    api,
    certPath,
    keyPath,
    launcher: node.launcher,
    launcherPid: node.launcherPid,
    jobCgroupParent,
    exited,
    stop: async () => {
      api.close();
      await end(pid);
      await endLauncherOf(pid);
    },
    kill: async () => {
      api.close();
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
      await exited;
    },
  };
}

/** Throws unless the daemon runs its jobs under the native launcher (the figures would be mislabelled). */
export function requireNativeLauncher(daemon: SigmaDaemon): void {
  if (daemon.launcher !== 'native' || daemon.launcherPid === null) {
    throw new Error(`the daemon runs its jobs ${daemon.launcher}, not under the native launcher: was dist/launcher/sigma-launcher built (npm run build, a C compiler)?`);
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** Creates count ONE_SHOT processes named prefix-i (DORMANT unless started) with `concurrency` clients. */
export async function createProcesses(
  api: ApiClient,
  count: number,
  prefix: string,
  command: readonly string[],
  concurrency = 8,
  extra: Record<string, unknown> = {},
): Promise<number[]> {
  const ids: number[] = new Array<number>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      const reply = await api.expect('POST', '/processes', { name: `${prefix}-${index}`, command, ...extra }, 201);
      ids[index] = reply.body.processes[0].id as number;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}
