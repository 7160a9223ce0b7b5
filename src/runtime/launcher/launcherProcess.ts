// Finding the node's launcher, or starting one: it listens on <data-dir>/launcher.sock (owner
// only) and outlives the daemon, so a daemon first tries to connect to the one already running
// (whose jobs it then adopts), and starts a new one only when none is there.
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER_BINARY_PATH } from '../../builtFiles.js';
import { LauncherConnection, type LauncherHello } from './launcherConnection.js';

/** How long a launcher that was started may take to say it listens. */
const READY_WAIT_MS = 5000;
/** The launcher's own log is started afresh past this size (the previous one kept as .1). */
const LAUNCHER_LOG_MAX_BYTES = 1024 * 1024;

/** The launcher built with the daemon (`npm run build`), or null where no C compiler was found. */
export function builtLauncherPath(): string | null {
  const path = LAUNCHER_BINARY_PATH;
  return existsSync(path) ? path : null;
}

export function launcherSocketPath(dataDir: string): string {
  return join(dataDir, 'launcher.sock');
}

export interface OpenedLauncher {
  readonly connection: LauncherConnection;
  readonly hello: LauncherHello;
  /** Whether this daemon started it (no launcher was running: nothing to adopt). */
  readonly started: boolean;
}

export interface OpenLauncherOptions {
  readonly binary: string;
  readonly dataDir: string;
  readonly nodeId: string;
  /** Take over from the daemon connected now (it hands over and exits). */
  readonly replace: boolean;
}

export class LauncherStartError extends Error {}

export class NothingToReplaceError extends Error {
  constructor() {
    super('no launcher runs for this data dir: there is nothing to take over');
  }
}

export async function openLauncher({ binary, dataDir, nodeId, replace }: OpenLauncherOptions): Promise<OpenedLauncher> {
  const socketPath = launcherSocketPath(dataDir);
  const running = await LauncherConnection.open(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') return null;
    throw error;
  });
  if (running) return { connection: running, hello: await running.hello(nodeId, replace), started: false };
  if (replace) throw new NothingToReplaceError();
  await startLauncher(binary, socketPath, nodeId, join(dataDir, 'launcher.log'));
  const connection = await LauncherConnection.open(socketPath);
  return { connection, hello: await connection.hello(nodeId, false), started: true };
}

/** Starts the launcher in a session of its own (no terminal's signal reaches it) and waits until it listens. */
async function startLauncher(binary: string, socketPath: string, nodeId: string, logPath: string): Promise<void> {
  try {
    // A rename moves a link that is there, never what it points to; the open below follows none.
    if (lstatSync(logPath).size > LAUNCHER_LOG_MAX_BYTES) renameSync(logPath, `${logPath}.1`);
  } catch {
    // No log yet.
  }
  const logFd = openSync(logPath, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  if (!fstatSync(logFd).isFile()) {
    closeSync(logFd);
    throw new LauncherStartError(`cannot start the launcher: its log ${logPath} is not a regular file`);
  }
  const child = spawn(binary, ['--socket', socketPath, '--node-id', nodeId], { detached: true, stdio: ['ignore', 'pipe', logFd] });
  closeSync(logFd);
  const outcome = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(`it did not say it listens within ${READY_WAIT_MS} ms`), READY_WAIT_MS);
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      if (!text.includes('ready')) return;
      clearTimeout(timer);
      resolve(null);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 3 ? 'another launcher holds this data dir, but cannot be reached on its socket: stop it (see launcher.log)' : `it exited with status ${code}`);
    });
  });
  child.stdout?.destroy();
  child.unref();
  if (outcome !== null) throw new LauncherStartError(`cannot start the launcher ${binary}: ${outcome} (${logPath} says more)`);
}
