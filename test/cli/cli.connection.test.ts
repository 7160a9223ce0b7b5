// How the command line finds and trusts the daemon, and its exit statuses for usage errors, a
// refused token and a daemon it cannot reach; --help of every command.
import { mkdirSync, writeFileSync } from 'node:fs';
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
    }
  });

  it('exits 2 with a one-line message that points at the help', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /^sigma: unknown command 'frobnicate' \(see `sigma --help`\)\n$/],
      [['ps', '--bogus'], /^sigma ps: unknown option '--bogus' \(see `sigma ps --help`\)\n$/],
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
    expect(plain.stderr).toMatch(/check the URL and its scheme/);
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
      `sigma: cannot reach the daemon at http://127.0.0.1:${port} (ECONNREFUSED): start it with \`sigma serve\`, or pass --url (or SIGMA_URL) with its address\n`,
    );
  });

  it('exits 4 when the token is refused, or there is none', async () => {
    const daemon = await SigmaDaemon.start();
    for (const command of [['ps'], ['logs', '1'], ['watch']]) {
      const refused = await runCli(command, { env: { ...cliEnvFor(daemon), SIGMA_TOKEN: 'not-the-token-0123456789' } });
      expect(refused.code, command.join(' ')).toBe(4);
      expect(refused.stderr, command.join(' ')).toBe(
        'sigma: the daemon refused the token (SIGMA_ERR_AUTH_INVALID): pass the node token with --token or SIGMA_TOKEN (the daemon keeps it in <data-dir>/token)\n',
      );
    }
    const empty = makeTempDir('sigma-cli-');
    mkdirSync(join(empty, 'sigma-data'));
    const none = await runCli(['ps'], { cwd: empty, env: { SIGMA_URL: daemon.url } });
    expect(none.code).toBe(4);
    expect(none.stderr).toBe(
      `sigma: no token: pass --token or set SIGMA_TOKEN (the node token is in the daemon's <data-dir>/token; ${join(empty, 'sigma-data', 'token')} cannot be read)\n`,
    );
  });
});
