// Runs the built `sigma` command line as a subprocess, the way a user would, against a test daemon.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CLI_PATH, cleanUpDaemons, SigmaDaemon } from './sigmaDaemon.js';
import { removeTempDirs } from './tempDirs.js';
import { waitFor } from './waitFor.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Added to a clean environment (PATH, HOME; no SIGMA_* or NO_COLOR of the test runner). */
  env?: Record<string, string>;
  cwd?: string;
}

/** SIGMA_URL and SIGMA_TOKEN of a test daemon. */
export function cliEnvFor(daemon: SigmaDaemon): Record<string, string> {
  return { SIGMA_URL: daemon.url, SIGMA_TOKEN: daemon.token };
}

// What decides whether a terminal shows colour, for Node: under CI (CI=true) it says no colour on
// any terminal, so a test sets these itself instead of taking the runner's.
const COLOUR_VARIABLES = new Set(['NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS', 'CI', 'TERM', 'COLORTERM', 'TERM_PROGRAM', 'TMUX']);

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SIGMA_') && !COLOUR_VARIABLES.has(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

const running = new Set<CliProcess>();

/** Runs `sigma ARGS...` to its end. */
export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const cli = CliProcess.start(args, options);
  const code = await cli.exited(20_000);
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

/** The `script` program of util-linux, which runs a command on a pseudo-terminal; null if absent. */
export const SCRIPT_PATH = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path)) ?? null;

/** Runs `sigma ARGS...` with its stdout on a terminal (through script(1)), as a user at a shell would. */
export async function runCliOnTerminal(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  if (!SCRIPT_PATH) throw new Error('script(1) is not installed');
  const commandLine = [process.execPath, CLI_PATH, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn(SCRIPT_PATH, ['-qec', commandLine, '/dev/null'], { cwd: options.cwd ?? process.cwd(), env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout: stdout.replace(/\r\n/g, '\n'), stderr };
}

/** A `sigma` command that keeps running (logs --follow, watch): its output so far, and how to end it. */
export class CliProcess {
  stdout = '';
  stderr = '';
  private readonly exit: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  static start(args: string[], options: CliRunOptions = {}): CliProcess {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cli = new CliProcess(child);
    running.add(cli);
    void cli.exit.then(() => running.delete(cli));
    return cli;
  }

  /** Waits until `accept` sees what it waits for in the output so far; fails early if the command ends. */
  async waitForOutput(what: string, accept: (output: { stdout: string; stderr: string }) => boolean, timeoutMs = 10_000): Promise<void> {
    const seen = await waitFor(
      what,
      () => ({ stdout: this.stdout, stderr: this.stderr, exitCode: this.child.exitCode }),
      (output) => accept(output) || output.exitCode !== null,
      timeoutMs,
    );
    if (!accept(seen)) throw new Error(`sigma ${this.child.spawnargs.slice(2).join(' ')} ended (${seen.exitCode}) before ${what}: ${JSON.stringify(seen)}`);
  }

  /** Ctrl-C. */
  interrupt(): void {
    this.child.kill('SIGINT');
  }

  async exited(timeoutMs = 10_000): Promise<number | null> {
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const code = await Promise.race([this.exit, timer]);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`sigma ${this.child.spawnargs.slice(2).join(' ')} did not end within ${timeoutMs} ms; stdout: ${this.stdout}; stderr: ${this.stderr}`);
    }
    return code;
  }
}

/** Ends every `sigma` client still running; call from afterEach. */
export async function cleanUpClis(): Promise<void> {
  for (const cli of running) {
    cli.child.kill('SIGKILL');
    await cli.exited().catch(() => undefined);
  }
}

/** A port with nothing listening on it (found free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Deletes every process of a daemon (ending their jobs): a shared daemon's clean-up between tests. */
export async function deleteAllProcesses(daemon: SigmaDaemon): Promise<void> {
  const reply = await daemon.request('GET', '/processes');
  for (const process of reply.body?.processes ?? []) await daemon.request('DELETE', `/processes/${process.id}`);
}

/**
 * One daemon for a file's CLI tests, started before them and ended after; after each test its
 * CLIs, processes and temp dirs are gone. Read `daemon` and `env` inside the tests.
 */
export function sharedCliDaemon(): { daemon: SigmaDaemon; env: Record<string, string> } {
  const shared = {} as { daemon: SigmaDaemon; env: Record<string, string> };
  beforeAll(async () => {
    shared.daemon = await SigmaDaemon.start();
    shared.env = cliEnvFor(shared.daemon);
  });
  afterEach(async () => {
    await cleanUpClis();
    await deleteAllProcesses(shared.daemon);
    removeTempDirs();
  });
  afterAll(cleanUpDaemons);
  return shared;
}
