// How the command line finds and trusts the daemon, and its exit statuses for usage errors, a
// refused token and a daemon it cannot reach; --help of every command.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, closedPort, runCli } from '../support/cliRunner.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(async () => {
  await cleanUpClis();
  await cleanUpDaemons();
  removeTempDirs();
});

const COMMANDS = ['ps', 'create', 'start', 'suspend', 'resume', 'stop', 'rm', 'show', 'logs', 'watch', 'apply'];

describe('usage', () => {
  it('gives --help with examples for sigma and every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const command of COMMANDS) expect(top.stdout).toContain(`  ${command}`);
    expect(top.stdout).toContain('Exit status:');
    for (const command of COMMANDS) {
      const help = await runCli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage: sigma ${command}[ |]`));
      expect(help.stdout, command).toMatch(new RegExp(`Examples:\\n  sigma ${command}\\b`));
      expect(help.stdout, command).toContain('--url <url>');
      expect(help.stdout, command).toMatch(/with another --url or SIGMA_URL, pass --token or SIGMA_TOKEN\n\(exit 2 otherwise\). No token is ever sent over http:\/\/ to a host other than/);
    }
  });

  it('exits 2 with a one-line message that points at the help', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /^sigma: unknown command 'frobnicate' \(see `sigma --help`\)\n$/],
      [['ps', '--bogus'], /^sigma ps: unknown option '--bogus' \(see `sigma ps --help`\)\n$/],
      [['serve', '--bogus'], /^sigma serve: unknown option '--bogus' \(see `sigma serve --help`\)\n$/],
      // A job's own flag, its argv not after --: the command line as it should be.
      [['create', 'x', 'sh', '-c', 'echo hi'], /^sigma create: unknown option '-c'; the job's arguments go after --, as in: sigma create x -- sh -c 'echo hi' \(see `sigma create --help`\)\n$/],
      [['create', 'x', '--start', '--periodic', '500', 'date', '-u'], /^sigma create: unknown option '-u'; the job's arguments go after --, as in: sigma create x --start --periodic 500 -- date -u \(see/],
      // Before any word of the job: sigma's own flag, mistyped; no hint.
      [['create', 'x', '--strat', '--', 'true'], /^sigma create: unknown option '--strat'\s+\(Did you mean --start\?\) \(see `sigma create --help`\)\n$/],
      [['create'], /^sigma create: missing required argument 'name' \(see `sigma create --help`\)\n$/],
      [['ps', '--state', 'sleeping'], /^sigma ps: option '--state <state>' argument 'sleeping' is invalid\. must be one of DORMANT, WAITING, READY, RUNNING, SUSPENDEND \(see `sigma ps --help`\)\n$/],
      [['logs', 'x', '--tail', 'lots'], /^sigma logs: option '--tail <n>' argument 'lots' is invalid\. must be a whole number from 0 to 100000 /],
      [['create', 'x', '--periodic', '0', '--', 'true'], /^sigma create: option '--periodic <ms>' argument '0' is invalid\. must be a whole number of milliseconds from 1 to 2147483647 /],
      [['create', 'x', '--env', 'NOVALUE', '--', 'true'], /^sigma create: option '--env <NAME=VALUE>' argument 'NOVALUE' is invalid\. must be NAME=VALUE/],
      [['apply'], /^sigma apply: required option '-f, --file <file>' not specified /],
      [['start'], /^sigma start: missing required argument 'process' /],
      [['ps', '--url', 'ftp://x'], /^sigma: the URL must be https:\/\/ or http:\/\/, not ftp:\/\/\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env: { SIGMA_TOKEN: 'some-token-0123456789' } });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });
});

describe('the connection', () => {
  it('finds a local HTTPS daemon from its data dir alone: daemon.json, the token file, the pinned certificate', async () => {
    const parent = makeTempDir('sigma-cli-');
    const dataDir = join(parent, 'sigma-data');
    const daemon = await SigmaDaemon.start({ dataDir, tls: true, withToken: false });
    expect(daemon.url).toMatch(/^https:/);
    await daemon.create({ name: 'found', command: ['true'] });

    const inCwd = await runCli(['ps'], { cwd: parent });
    expect(inCwd.code, inCwd.stderr).toBe(0);
    expect(inCwd.stdout).toMatch(/\bfound\b/);
    expect((await runCli(['ps'], { cwd: '/', env: { SIGMA_DATA_DIR: dataDir } })).stdout).toMatch(/\bfound\b/);
    expect((await runCli(['ps', '--data-dir', dataDir], { cwd: '/' })).stdout).toMatch(/\bfound\b/);
    // The URL, token and certificate given explicitly.
    const cacert = join(dataDir, 'tls', 'cert.pem');
    const explicit = await runCli(['ps', '--url', daemon.url, '--token', daemon.token, '--cacert', cacert], { cwd: '/' });
    expect(explicit.code, explicit.stderr).toBe(0);
  });

  it('exits 5 when the certificate is not the pinned one, or none is given for a self-signed daemon', async () => {
    const daemon = await SigmaDaemon.start({ tls: true });
    const elsewhere = makeTempDir('sigma-cli-');
    const otherCert = join(elsewhere, 'other.pem');
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as never);
    writeFileSync(otherCert, (pems as { cert: string }).cert);

    const wrong = await runCli(['ps', '--cacert', otherCert], { cwd: elsewhere, env: cliEnvFor(daemon) });
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toMatch(new RegExp(`^sigma: cannot verify the certificate of ${daemon.url} \\(\\w+\\) with the certificate in ${otherCert}: pass the daemon's certificate with --cacert`));

    const none = await runCli(['ps'], { cwd: elsewhere, env: cliEnvFor(daemon) });
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/^sigma: cannot verify the certificate of .* with the system certificates: pass the daemon's certificate with --cacert .*\n$/);

    const plain = await runCli(['ps'], { cwd: elsewhere, env: { ...cliEnvFor(daemon), SIGMA_URL: daemon.url.replace('https:', 'http:') } });
    expect(plain.code).toBe(5);
    // The HTTPS port answers plain HTTP with what to use instead.
    expect(plain.stderr).toBe(
      `sigma: this port speaks HTTPS, not plain HTTP: use ${daemon.url}/processes (SIGMA_ERR_REQUEST_INVALID): pass --url (or SIGMA_URL) with https://\n`,
    );
  });

  it('exits 5 when https is used on a plain-HTTP daemon, or nothing listens', async () => {
    const daemon = await SigmaDaemon.start();
    const https = await runCli(['ps'], { env: { ...cliEnvFor(daemon), SIGMA_URL: daemon.url.replace('http:', 'https:') } });
    expect(https.code).toBe(5);
    expect(https.stderr).toMatch(/^sigma: no TLS handshake with https:\/\/127\.0\.0\.1:\d+ \(\w+\): if the daemon serves plain HTTP \(--no-tls\), use an http:\/\/ URL\n$/);

    const port = await closedPort();
    const refused = await runCli(['ps'], { env: { SIGMA_URL: `http://127.0.0.1:${port}`, SIGMA_TOKEN: 'some-token-0123456789' } });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toBe(
      `sigma: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED): start it with \`npx sigma serve\` in sigma's directory (\`npm start\` there builds it first), or pass --url (or SIGMA_URL) with its address\n`,
    );
  });

  it('exits 4 when the token is refused, or there is none', async () => {
    const daemon = await SigmaDaemon.start();
    for (const command of [['ps'], ['logs', '1'], ['watch']]) {
      const refused = await runCli(command, { env: { ...cliEnvFor(daemon), SIGMA_TOKEN: 'not-the-token-0123456789' } });
      expect(refused.code, command.join(' ')).toBe(4);
      expect(refused.stderr, command.join(' ')).toBe(
        'sigma: the daemon refused the token (SIGMA_ERR_AUTH_INVALID): pass the node token or a partition token with --token or SIGMA_TOKEN (the daemon keeps the node token in <data-dir>/token)\n',
      );
    }
    // A data dir that names the daemon (daemon.json) but holds no token.
    const empty = makeTempDir('sigma-cli-');
    mkdirSync(join(empty, 'sigma-data'));
    writeFileSync(join(empty, 'sigma-data', 'daemon.json'), JSON.stringify({ url: daemon.url }));
    const none = await runCli(['ps'], { cwd: empty });
    expect(none.code).toBe(4);
    expect(none.stderr).toBe(
      `sigma: no token: pass --token or set SIGMA_TOKEN (the node token is in the daemon's <data-dir>/token; ${join(empty, 'sigma-data', 'token')} cannot be read)\n`,
    );
  });
});

/** A plain-HTTP listener that answers like a daemon with no processes and keeps the headers it got. */
async function listener(host: string): Promise<{ port: number; received: IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    received.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"processes":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  listeners.push(server);
  return { port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
const listeners: Array<ReturnType<typeof createServer>> = [];
afterEach(async () => {
  for (const server of listeners.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** An address of this machine that is not loopback, if it has one. */
function nonLoopbackAddress(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return null;
}

describe('where the token goes', () => {
  it("sends the data dir's token only to the URL of that data dir: another --url or SIGMA_URL needs --token (exit 2)", async () => {
    const cwd = makeTempDir('sigma-cli-');
    const localToken = 'local-token-0123456789abcdef';
    mkdirSync(join(cwd, 'sigma-data'));
    writeFileSync(join(cwd, 'sigma-data', 'token'), `${localToken}\n`);
    const other = await listener('127.0.0.1');
    const otherUrl = `http://127.0.0.1:${other.port}`;
    const message = `sigma: ${otherUrl} is not the daemon of ${join(cwd, 'sigma-data')}, so its token is not sent there: pass that daemon's token with --token or SIGMA_TOKEN\n`;

    const byFlag = await runCli(['ps', '--url', otherUrl], { cwd });
    expect(byFlag.code, byFlag.stderr).toBe(2);
    expect(byFlag.stderr).toBe(message);
    const byEnv = await runCli(['ps'], { cwd, env: { SIGMA_URL: otherUrl } });
    expect(byEnv.code, byEnv.stderr).toBe(2);
    expect(byEnv.stderr).toBe(message);
    // A daemon.json naming another address does not make this one local either.
    writeFileSync(join(cwd, 'sigma-data', 'daemon.json'), JSON.stringify({ url: 'http://127.0.0.1:1' }));
    expect((await runCli(['ps', '--url', otherUrl], { cwd })).code).toBe(2);
    expect(other.received, 'nothing was sent to the other address').toEqual([]);

    // With its own token, the other address is asked, with that token and not the local one.
    const withToken = await runCli(['ps', '--url', otherUrl, '--token', 'other-token-0123456789'], { cwd });
    expect(withToken.code, withToken.stderr).toBe(0);
    expect(other.received.map((headers) => headers.authorization)).toEqual(['Bearer other-token-0123456789']);
  });

  it("uses the data dir's token and certificate for an explicit --url that is the one in its daemon.json", async () => {
    const parent = makeTempDir('sigma-cli-');
    const daemon = await SigmaDaemon.start({ dataDir: join(parent, 'sigma-data'), tls: true, withToken: false });
    await daemon.create({ name: 'local', command: ['true'] });
    const byFlag = await runCli(['ps', '--url', daemon.url], { cwd: parent });
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(byFlag.stdout).toMatch(/\blocal\b/);
    const byEnv = await runCli(['ps'], { cwd: parent, env: { SIGMA_URL: `${daemon.url}/` } });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(byEnv.stdout).toMatch(/\blocal\b/);
  });

  it('never sends a token over plain http to a host that is not loopback (exit 2)', async () => {
    const address = nonLoopbackAddress() ?? '192.0.2.1';
    const remote = await listener('0.0.0.0');
    const url = `http://${address}:${remote.port}`;
    const cases: Array<[string[], Record<string, string>]> = [
      [['ps', '--url', url], { SIGMA_TOKEN: 'some-token-0123456789' }],
      [['ps'], { SIGMA_TOKEN: 'some-token-0123456789', SIGMA_URL: url }],
    ];
    for (const [args, env] of cases) {
      const refused = await runCli(args, { env });
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toBe(
        `sigma: refusing to send the token in clear text over http:// to ${address}:${remote.port}, which is not this machine: use https:// (or http:// only to 127.0.0.1, ::1 or localhost)\n`,
      );
    }
    expect(remote.received).toEqual([]);
    // Loopback over http is fine: the daemon's --no-tls is for a local proxy or tests.
    const local = await runCli(['ps', '--url', `http://localhost:${remote.port}`, '--token', 'some-token-0123456789']);
    expect(local.code, local.stderr).toBe(0);
    expect(remote.received.map((headers) => headers.authorization)).toEqual(['Bearer some-token-0123456789']);
  });
});
