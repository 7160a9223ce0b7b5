// A fork the kernel refuses (the user's process limit) is a FAILED start with the reason, never
// a crash or a stuck state. Root is exempt from that limit, so the daemon runs as `nobody` here.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { CLI_PATH, TEST_TOKEN } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

const NOBODY = 65534;
/** Tasks `nobody` may have beyond those it has already: the daemon's own threads, and a few jobs. */
const TASKS_ALLOWED = 30;

/** The tasks (threads) of the processes running as this user now: the process limit counts them. */
function tasksOf(uid: number): number {
  let tasks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const realUid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (realUid === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      // Gone meanwhile.
    }
  }
  return tasks;
}

let cleanUp: (() => void) | null = null;
afterEach(() => {
  cleanUp?.();
  cleanUp = null;
});

/** Why this test cannot run here, or null. */
function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root, to run the daemon as another user under a process limit';
  try {
    execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI_PATH)})`], { stdio: 'pipe' });
    execFileSync('prlimit', ['--version'], { stdio: 'pipe' });
  } catch (error) {
    return `setpriv/prlimit are missing, or user ${NOBODY} cannot read the build (${String(error).split('\n')[0]})`;
  }
  return null;
}

it('answers FAILED with EAGAIN when the kernel refuses the fork, and keeps serving', async (context) => {
  const why = unavailable();
  if (why) skipOrFail(context, 'prlimit', why);
  const dataDir = mkdtempSync(join(tmpdir(), 'sigma-nproc-'));
  chownSync(dataDir, NOBODY, NOBODY);
  const taskLimit = tasksOf(NOBODY) + TASKS_ALLOWED;
  const args = [`--nproc=${taskLimit}:${taskLimit}`, 'setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
  const daemon = spawn('prlimit', [...args, process.execPath, CLI_PATH, 'serve', '--no-tls', '--port', '0', '--data-dir', dataDir, '--token', TEST_TOKEN, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanUp = () => {
    // Its jobs end with it (SIGTERM to the daemon ends every job); then the data dir goes.
    daemon.kill('SIGTERM');
    try {
      execFileSync('sh', ['-c', `for i in $(seq 100); do kill -0 ${daemon.pid} 2>/dev/null || exit 0; sleep 0.1; done; kill -9 ${daemon.pid}`]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  let stdout = '';
  let stderr = '';
  daemon.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  daemon.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const url = (await waitFor('the daemon to serve', () => /sigma serving (\S+)/.exec(stdout)?.[1] ?? null, (found) => found !== null, 15_000).catch((error: Error) => {
    throw new Error(`${error.message}; its stderr: ${stderr}`);
  })) as string;
  const create = async (name: string) => {
    const reply = await fetch(`${url}/processes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, command: ['sleep', '300'], state: 'RUNNING' }),
    });
    return (await reply.json()) as { processes: { id: number; state: string; lastExit: { error: string | null } | null }[] };
  };
  let refused: { id: number; state: string; lastExit: { error: string | null } | null } | null = null;
  for (let i = 0; i < TASKS_ALLOWED && !refused; i += 1) {
    const [process] = (await create(`job${i}`)).processes;
    if (process?.state === 'DORMANT') refused = process;
  }
  expect(refused, 'a start past the process limit').not.toBeNull();
  expect(refused?.lastExit?.error).toMatch(/^EAGAIN: fork refused: process limit reached/);
  const health = await fetch(`${url}/health`);
  expect(health.status).toBe(200);
}, 60_000);
