// A data dir another user prepared, or can change, is refused at start before anything in it is
// read; files in it are never written through a link, whoever writes them (the daemon or the
// launcher); the secrets in it are made owner-only again at every start.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/nodeFlags.js';
import { dataDirEntries } from '../../src/runtime/dataDirTrust.js';
import { CLI_PATH, cleanUpDaemons, SigmaDaemon, TEST_LAUNCHER } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

afterEach(async () => {
  await cleanUpDaemons();
  removeTempDirs();
});

const IS_ROOT = process.geteuid?.() === 0;
const nobody = (): { uid: number; gid: number } => ({
  uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
  gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
});

/** A file of the daemon's user outside the data dir, which nothing may write through a link. */
function ownFileElsewhere(text: string): string {
  const path = join(makeTempDir('sigma-elsewhere-'), 'precious');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

interface ServeOutcome {
  readonly exitCode: number | null;
  readonly stderr: string;
}

/**
 * `sigma serve` on the data dir, to its exit. One that starts anyway (it trusted the data dir) is
 * stopped at once with SIGTERM, which ends its jobs and its launcher, and exits 0.
 */
function serveOnce(dataDir: string, args: string[] = []): Promise<ServeOutcome> {
  const launcher = TEST_LAUNCHER ? ['--launcher', TEST_LAUNCHER] : [];
  const argv = [...DAEMON_NODE_FLAGS, CLI_PATH, 'serve', '--data-dir', dataDir, '--port', '0', '--no-tls', '--log-level', 'warn', ...launcher, ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIGMA_TOKEN: '' } });
  let stdout = '';
  let stderr = '';
  let served = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!served && stdout.includes('sigma serving ')) {
      served = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sigma serve neither exited nor served within 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.once('close', (code) => {
      clearTimeout(bound);
      resolve({ exitCode: code, stderr });
    });
  });
}

/** Exit 1 with one line on stderr that names the path. */
function expectRefused(outcome: ServeOutcome, path: string, why: RegExp): void {
  expect(outcome.exitCode, outcome.stderr).toBe(1);
  const lines = outcome.stderr.split('\n').filter((line) => line !== '');
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sigma serve: cannot start: /);
  expect(lines[0]).toContain(path);
  expect(lines[0]).toMatch(why);
}

describe('a data dir another user prepared', () => {
  it('is refused when another user owns it, with their token and links to the daemon user\'s files in it', async (context) => {
    if (!IS_ROOT) context.skip('needs root, to prepare files as nobody');
    const { uid, gid } = nobody();
    const dataDir = makeTempDir('sigma-trust-');
    const daemonFileTarget = ownFileElsewhere('the daemon user\'s own\n');
    const logTarget = ownFileElsewhere('the daemon user\'s other file\n');
    // As nobody would leave it: world-writable, a token of theirs, links to the daemon user's files.
    writeFileSync(join(dataDir, 'token'), 'nobody-knows-this-token-0123456789\n', { mode: 0o644 });
    symlinkSync(daemonFileTarget, join(dataDir, 'daemon.json'));
    mkdirSync(join(dataDir, 'logs'), { mode: 0o777 });
    symlinkSync(logTarget, join(dataDir, 'logs', '1.stdout.log'));
    execFileSync('chown', ['-hR', `${uid}:${gid}`, dataDir]);
    chmodSync(dataDir, 0o777);

    const outcome = await serveOnce(dataDir);

    expectRefused(outcome, `the data dir ${dataDir}`, new RegExp(`is owned by uid ${uid}, not by the daemon's user \\(uid 0\\)`));
    expect(readFileSync(daemonFileTarget, 'utf8')).toBe('the daemon user\'s own\n');
    expect(readFileSync(logTarget, 'utf8')).toBe('the daemon user\'s other file\n');
    expect(readdirSync(dataDir).sort(), 'nothing was made in it').toEqual(['daemon.json', 'logs', 'token']);
  });

  it('is refused when its own user left it writable by others', async () => {
    const dataDir = makeTempDir('sigma-trust-');
    chmodSync(dataDir, 0o777);
    expectRefused(await serveOnce(dataDir), `the data dir ${dataDir}`, /is writable by its group and others \(mode 0777\)/);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('is refused when a directory above it belongs to another user, who could swap it', async (context) => {
    if (!IS_ROOT) context.skip('needs root, to prepare files as nobody');
    const { uid, gid } = nobody();
    const above = makeTempDir('sigma-trust-above-');
    chownSync(above, uid, gid);
    const dataDir = join(above, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    expectRefused(await serveOnce(dataDir), `${above}, a directory above the data dir,`, new RegExp(`is owned by uid ${uid}, neither root nor the daemon's user`));
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a token file another user wrote, and no job runs', async (context) => {
    if (!IS_ROOT) context.skip('needs root, to prepare files as nobody');
    const { uid, gid } = nobody();
    const marker = join(makeTempDir('sigma-marker-'), 'runs');
    // A node that ran a job, stopped cleanly: the next start would start the job again.
    const first = await SigmaDaemon.start({ withToken: false });
    const created = await first.create({ name: 'counted', command: ['sh', '-c', `echo ran >> ${marker}; exec sleep 300`], state: 'RUNNING' });
    expect(created.status).toBe(201);
    await waitFor('the job to have run', () => safeRead(marker), (text) => text === 'ran\n');
    expect(await first.stop()).toBe(0);
    const token = join(first.dataDir, 'token');
    writeFileSync(token, 'nobody-knows-this-token-0123456789\n');
    chownSync(token, uid, gid);

    const outcome = await serveOnce(first.dataDir);

    expectRefused(outcome, token, new RegExp(`is owned by uid ${uid}, not by the daemon's user`));
    expect(safeRead(marker), 'the job did not run again').toBe('ran\n');
  });

  it('refuses daemon.json as a link, and leaves what it points to unchanged', async () => {
    const dataDir = makeTempDir('sigma-trust-');
    const target = ownFileElsewhere('{"the daemon user\'s": "own"}\n');
    const link = join(dataDir, 'daemon.json');
    symlinkSync(target, link);
    expectRefused(await serveOnce(dataDir), link, /is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('{"the daemon user\'s": "own"}\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe('a log file replaced by a link while the daemon runs', () => {
  for (const launcher of ['native', 'in-process'] as const) {
    it(`is not written through, nor read through, and the process says why (${launcher})`, async () => {
      const daemon = await SigmaDaemon.start({ args: ['--launcher', launcher] });
      const id = (await daemon.create({ name: 'talker', command: ['sh', '-c', 'echo what the job says'] })).body.processes[0].id;
      const target = ownFileElsewhere('the daemon user\'s own\n');
      const link = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
      symlinkSync(target, link);

      expect((await daemon.operate(id, 'START')).status).toBe(200);
      const written = (): boolean => readFileSync(target, 'utf8') !== 'the daemon user\'s own\n';
      const ended = await waitFor('the job to end, its output refused or written', () => daemon.process(id), (p) => p.state === 'DORMANT' && (p.outputError !== null || written()));

      expect(readFileSync(target, 'utf8')).toBe('the daemon user\'s own\n');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      const logs = await daemon.request('GET', `/processes/${id}/logs`);
      expect(logs.status).toBe(200);
      expect(logs.text, 'the log is not read through the link either').toBe('');
      expect(ended.outputError).toBe(`stdout: ELOOP: cannot write ${link} (it is a symbolic link, and sigma writes through none); output is dropped until it can`);
      expect(await daemon.stop()).toBe(0);
    });
  }
});

describe('the secrets of a data dir', () => {
  it('are made owner-only again at a start: tls/ 0700, key.pem 0600, token 0600', async () => {
    const first = await SigmaDaemon.start({ tls: true, withToken: false });
    expect(await first.stop()).toBe(0);
    const dataDir = first.dataDir;
    // As an older sigma, a restore or a hand-made copy may leave them.
    chmodSync(join(dataDir, 'tls'), 0o755);
    chmodSync(join(dataDir, 'tls', 'key.pem'), 0o644);
    chmodSync(join(dataDir, 'token'), 0o644);

    const second = await SigmaDaemon.start({ dataDir, tls: true, withToken: false });

    const modeOf = (name: string): string => (statSync(join(dataDir, name)).mode & 0o777).toString(8);
    expect(modeOf('tls')).toBe('700');
    expect(modeOf('tls/key.pem')).toBe('600');
    expect(modeOf('token')).toBe('600');
    expect(modeOf('tls/cert.pem'), 'the certificate stays public').toBe('644');
    expect((await second.request('GET', '/node')).status, 'served over HTTPS with the same key').toBe(200);
    expect(await second.stop()).toBe(0);
  });
});

describe('a data dir sigma makes itself', () => {
  it('is made mode 0700 where none was, and every entry sigma leaves in it is one the check covers', async () => {
    const dataDir = join(makeTempDir('sigma-trust-'), 'nested', 'data');
    const daemon = await SigmaDaemon.start({ dataDir, tls: true, withToken: false, args: ['--log-max-bytes', '65536'] });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    // Output enough for a rotation, so that the rotated copy is there too.
    const id = (await daemon.create({ name: 'chatty', command: ['sh', '-c', 'seq 1 20000; seq 1 10 >&2'], state: 'RUNNING' })).body.processes[0].id;
    await waitFor('the job to end', () => daemon.process(id), (p) => p.state === 'DORMANT' && p.runs === 1);
    const covered = new Set(dataDirEntries(dataDir, join(dataDir, 'programs')).map((entry) => relative(dataDir, entry.path)));
    const left = (): string[] => walk(dataDir).filter((path) => !path.startsWith('programs/'));
    expect(left().filter((path) => !covered.has(path)), 'entries no check covers, while serving').toEqual([]);
    expect(left()).toContain(`logs/${id}.stdout.log.1`);
    expect(await daemon.stop()).toBe(0);
    expect(left().filter((path) => !covered.has(path)), 'entries no check covers, after a stop').toEqual([]);
  });
});

function walk(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    found.push(path);
    if (entry.isDirectory()) found.push(...walk(join(dir, entry.name), path));
  }
  return found;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
