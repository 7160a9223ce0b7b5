// sigma logs (also --follow) and sigma watch, against a real daemon: they see real output and
// real state changes as they happen, and end on Ctrl-C with status 0.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpClis, cliEnvFor, CliProcess, closedPort, deleteAllProcesses, runCli } from '../support/cliRunner.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const daemons: SigmaDaemon[] = [];
afterEach(async () => {
  await cleanUpClis();
  for (const daemon of daemons.splice(0)) if (daemon.child.exitCode === null) await deleteAllProcesses(daemon).catch(() => undefined);
  await cleanUpDaemons();
  removeTempDirs();
});

async function startDaemon(args: string[] = [], dataDir?: string): Promise<SigmaDaemon> {
  const daemon = await SigmaDaemon.start({ args, ...(dataDir ? { dataDir } : {}) });
  daemons.push(daemon);
  return daemon;
}

async function createOk(daemon: SigmaDaemon, definition: Record<string, unknown>): Promise<number> {
  const reply = await daemon.create(definition);
  expect(reply.status, reply.text).toBe(201);
  return reply.body.processes[0].id;
}

/** A TCP relay to the daemon that can be cut (connections reset, port closed) and opened again on the same port. */
async function cuttableRelay(targetPort: number): Promise<{ port: number; cut(): Promise<void>; reopen(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number): Promise<void> => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    reopen: () => listen(port),
  };
}

/** A daemon stand-in whose log answer stops after `sent` and then loses its connection. */
async function cutLogServer(framing: 'content-length' | 'chunked', sent: string): Promise<{ url: string; server: Server }> {
  const talker = { id: 1, name: 'talker', state: 'DORMANT', type: 'ONE_SHOT', period: null, command: ['true'], cwd: null, env: {}, stopTimeoutMs: 5000, pid: null, startedAt: null, nextReleaseAt: null, lastExit: null, outputError: null, runs: 1, overruns: 0, skipped: 0, failures: 0, createdAt: new Date().toISOString() };
  const server = createServer((request, response) => {
    if (!request.url?.startsWith('/processes/1/logs')) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ processes: [talker] }));
      return;
    }
    const length = framing === 'content-length' ? { 'content-length': String(sent.length + 1000) } : {};
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...length });
    response.write(sent, () => response.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cutServers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}
const cutServers: Server[] = [];
afterEach(async () => {
  for (const server of cutServers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

describe('sigma logs', () => {
  it('exits 5 when the connection is cut before the whole log has arrived', async () => {
    for (const framing of ['content-length', 'chunked'] as const) {
      const { url } = await cutLogServer(framing, 'line 1\nline 2\n');
      const cut = await runCli(['logs', 'talker'], { env: { SIGMA_URL: url, SIGMA_TOKEN: 'some-token-0123456789' } });
      expect(cut.code, `${framing}: ${cut.stderr}`).toBe(5);
      expect(cut.stdout, framing).toBe('line 1\nline 2\n');
      expect(cut.stderr, framing).toBe(
        `sigma: the connection to ${url} was cut before the log of talker was complete: what is printed is only its beginning; try again\n`,
      );
    }
  });

  it('prints the output, the error output, the last lines; exits 3 for an unknown process', async () => {
    const daemon = await startDaemon();
    const env = cliEnvFor(daemon);
    const id = await createOk(daemon, { name: 'talker', command: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2'], state: 'RUNNING' });
    await waitFor('talker to end', () => daemon.process(id), (process) => process.state === 'DORMANT' && process.lastExit !== null);

    expect(await runCli(['logs', 'talker'], { env })).toEqual({ code: 0, stdout: 'out1\nout2\n', stderr: '' });
    expect(await runCli(['logs', String(id), '--stderr'], { env })).toEqual({ code: 0, stdout: 'err1\n', stderr: '' });
    expect(await runCli(['logs', 'talker', '--tail', '1'], { env })).toEqual({ code: 0, stdout: 'out2\n', stderr: '' });
    expect(await runCli(['logs', 'nobody'], { env })).toMatchObject({ code: 3, stdout: '' });
  });

  it('--follow prints new lines as they are written, and ends on Ctrl-C with status 0', async () => {
    const daemon = await startDaemon();
    const go = join(makeTempDir('sigma-cli-'), 'go');
    await createOk(daemon, {
      name: 'slow',
      command: ['sh', '-c', `echo before; while [ ! -e ${go} ]; do sleep 0.05; done; echo after; sleep 300`],
      state: 'RUNNING',
    });
    const follow = CliProcess.start(['logs', 'slow', '--follow'], { env: cliEnvFor(daemon) });
    await follow.waitForOutput('"before"', ({ stdout }) => stdout === 'before\n');
    writeFileSync(go, '');
    await follow.waitForOutput('"after", written once following', ({ stdout }) => stdout === 'before\nafter\n');
    follow.interrupt();
    expect(await follow.exited()).toBe(0);
    expect(existsSync(go)).toBe(true);
  });
});

describe('sigma watch', () => {
  it('prints state changes and run ends as they happen, as text or JSON, for all or some processes', async () => {
    const daemon = await startDaemon();
    const env = cliEnvFor(daemon);
    const watching = (cli: CliProcess) => cli.waitForOutput('the watch to connect', ({ stderr }) => stderr.includes('sigma: watching '));
    const all = CliProcess.start(['watch'], { env });
    const json = CliProcess.start(['watch', '--json'], { env });
    const onlyOther = CliProcess.start(['watch', 'other'], { env });
    await Promise.all([watching(all), watching(json), watching(onlyOther)]);

    const id = await createOk(daemon, { name: 'short', command: ['sh', '-c', 'exit 3'] });
    expect((await daemon.operate(id, 'START')).status).toBe(200);
    await all.waitForOutput('the job to end', ({ stdout }) => /RUNNING -> DORMANT/.test(stdout));
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  short \\(id ${id}\\)  created$`));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`  short \\(id ${id}\\)  DORMANT -> RUNNING  \\(START\\)$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`  short \\(id ${id}\\)  run ended: exit 3 after \\S+$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`  short \\(id ${id}\\)  RUNNING -> DORMANT  \\(JOB_ENDED\\)$`)));

    await json.waitForOutput('the JSON events', ({ stdout }) => stdout.includes('"JOB_ENDED"'));
    const events = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'created', processId: id, name: 'short' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'state', processId: id, from: 'DORMANT', to: 'RUNNING', reason: 'START' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'run', processId: id, run: expect.objectContaining({ exitCode: 3 }) }));

    const otherId = await createOk(daemon, { name: 'other', command: ['true'] });
    await onlyOther.waitForOutput('the event of "other"', ({ stdout }) => stdout.includes('created'));
    expect(onlyOther.stdout).toMatch(new RegExp(`^\\S+  other \\(id ${otherId}\\)  created\\n$`));

    for (const cli of [all, json, onlyOther]) {
      cli.interrupt();
      expect(await cli.exited()).toBe(0);
    }
  });

  it('resumes with Last-Event-ID after its connection drops, so the events sent meanwhile are printed, once', async () => {
    const daemon = await startDaemon();
    const daemonPort = Number(new URL(daemon.url).port);
    const relay = await cuttableRelay(daemonPort);
    try {
      const env = { ...cliEnvFor(daemon), SIGMA_URL: `http://127.0.0.1:${relay.port}` };
      const watch = CliProcess.start(['watch'], { env });
      await watch.waitForOutput('the watch to connect', ({ stderr }) => stderr.includes('sigma: watching '));
      await createOk(daemon, { name: 'before', command: ['true'] });
      await watch.waitForOutput('"before" created', ({ stdout }) => stdout.includes('before ('));

      await relay.cut();
      await watch.waitForOutput('the watch to notice', ({ stderr }) => stderr.includes('reconnecting'));
      // Sent while the watch is away: only a resume from its last event id brings it back.
      await createOk(daemon, { name: 'meanwhile', command: ['true'] });
      await relay.reopen();
      await watch.waitForOutput('the watch to be back', ({ stderr }) => /event stream back; resumed after event \d+/.test(stderr), 15_000);
      await watch.waitForOutput('"meanwhile" created', ({ stdout }) => stdout.includes('meanwhile ('));
      expect(watch.stdout.match(/before \(id \d+\)  created/g)).toHaveLength(1);
      expect(watch.stdout.match(/meanwhile \(id \d+\)  created/g)).toHaveLength(1);
      watch.interrupt();
      expect(await watch.exited()).toBe(0);
    } finally {
      await relay.cut();
    }
  });

  it('reconnects with Last-Event-ID when the daemon restarts, and goes on printing', async () => {
    const port = await closedPort();
    const dataDir = join(makeTempDir('sigma-cli-'), 'data');
    const first = await startDaemon(['--port', String(port)], dataDir);
    const watch = CliProcess.start(['watch'], { env: cliEnvFor(first) });
    await watch.waitForOutput('the watch to connect', ({ stderr }) => stderr.includes('sigma: watching '));
    await createOk(first, { name: 'before', command: ['true'] });
    await watch.waitForOutput('"before" created', ({ stdout }) => stdout.includes('before ('));

    expect(await first.stop()).toBe(0);
    await watch.waitForOutput('the watch to notice', ({ stderr }) => stderr.includes('reconnecting'));
    const second = await startDaemon(['--port', String(port)], dataDir);
    await watch.waitForOutput('the watch to be back', ({ stderr }) => stderr.includes('event stream back'), 15_000);
    await createOk(second, { name: 'after', command: ['true'] });
    await watch.waitForOutput('"after" created', ({ stdout }) => stdout.includes('after ('));
    expect(watch.stdout.match(/before \(id \d+\)  created/g)).toHaveLength(1);
    watch.interrupt();
    expect(await watch.exited()).toBe(0);
  });
});
