// Nobody without a token can take the daemon's descriptors: connections past --max-connections
// are closed (the one idle the longest first), a connection that sends no request is closed after
// --request-timeout-ms, one answered before its body arrived is closed at once, and jobs always
// find descriptors to start with, the daemon run under `prlimit --nofile`.
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SPAWN_RESERVE_DESCRIPTORS } from '../../src/daemon/connectionBudget.js';
import { IdleConnections } from '../support/idleConnections.js';
import { openStream, type OpenStream } from '../support/openStream.js';
import { destroyRawConnections, rawConnection } from '../support/rawConnection.js';
import { cleanUpDaemons, SigmaDaemon, TEST_TOKEN } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

const held: IdleConnections[] = [];
const streams: OpenStream[] = [];
afterEach(async () => {
  for (const connections of held.splice(0)) connections.closeAll();
  destroyRawConnections();
  for (const stream of streams.splice(0)) stream.close();
  await cleanUpDaemons();
});

const descriptorsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** GET /health on a connection of its own (never one kept alive from before): its status, or the error. */
function healthOnFreshConnection(url: string, ca?: Buffer): Promise<number | string> {
  return new Promise((resolve) => {
    const send = ca ? httpsGet : get;
    const request = send(new URL('/health', url), { agent: false, ca }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    request.setTimeout(10_000, () => request.destroy(new Error('no answer in 10 s')));
  });
}

describe('connections past --max-connections', () => {
  it('are closed, idle ones first: /health answers on a new connection and a stream under way goes on', async () => {
    const daemon = await SigmaDaemon.start({ nofile: 512, nofileHard: 2048, args: ['--max-connections', '20'] });
    // The soft descriptor limit is raised to the hard one at start (Node.js does it).
    expect(readFileSync(`/proc/${daemon.pid}/limits`, 'utf8')).toMatch(/^Max open files +2048 +2048 /m);
    const stream = await openStream(`${daemon.url}/events`, daemon.token);
    streams.push(stream);
    expect(stream.status).toBe(200);
    const idle = await IdleConnections.open(daemon.url, 200);
    held.push(idle);
    await waitFor('the idle connections past the limit to be closed', () => idle.open, (open) => open <= 20, 15_000);
    expect(await healthOnFreshConnection(daemon.url)).toBe(200);
    // The stream has a request under way: it was never the one to go.
    expect((await daemon.create({ name: 'after-the-flood', type: 'ONE_SHOT', command: ['true'] })).status).toBe(201);
    await stream.waitForText('the creation on the stream', (text) => text.includes('after-the-flood'));
    const metrics = (await daemon.request('GET', '/metrics')).text;
    expect(metrics).toContain('sigma_connections{of="limit"} 20\n');
    expect(Number(/sigma_connections_closed_total\{reason="evicted"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(180);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});

describe('connections past --max-connections over TLS', () => {
  it('are closed before their handshake; /health answers on a new connection', async () => {
    const daemon = await SigmaDaemon.start({ tls: true, args: ['--max-connections', '10'] });
    const idle = await IdleConnections.open(daemon.url, 100);
    held.push(idle);
    await waitFor('the idle connections past the limit to be closed', () => idle.open, (open) => open <= 10, 15_000);
    expect(await healthOnFreshConnection(daemon.url, readFileSync(join(daemon.dataDir, 'tls', 'cert.pem')))).toBe(200);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});

describe.each(['native', 'in-process'])('descriptors kept for jobs (--launcher %s, nofile=1024)', (launcher) => {
  it('a PERIODIC process at 50 ms loses no release while 3,000 idle connections are held, and /health answers', async () => {
    const daemon = await SigmaDaemon.start({ nofile: 1024, args: ['--launcher', launcher] });
    const created = await daemon.create({ name: 'ticks', type: 'PERIODIC', period: 50, command: ['true'] });
    const id = created.body.processes[0].id as number;
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    const idle = await IdleConnections.open(daemon.url, 3000);
    held.push(idle);
    const runsBefore = (await daemon.process(id)).runs as number;
    expect(await healthOnFreshConnection(daemon.url)).toBe(200);
    // Releases go on while the connections are held: twenty more runs, about a second.
    await waitFor('twenty more runs while the connections are held', async () => (await daemon.process(id)).runs as number, (runs) => runs >= runsBefore + 20, 20_000);
    expect(descriptorsOf(daemon.pid)).toBeLessThanOrEqual(1024 - SPAWN_RESERVE_DESCRIPTORS);
    expect(await healthOnFreshConnection(daemon.url)).toBe(200);
    const process = await daemon.process(id);
    const runs = (await daemon.request('GET', `/processes/${id}/runs?limit=100`)).body.runs as { error: string | null }[];
    expect({ failures: process.failures, runErrors: runs.filter((run) => run.error !== null).map((run) => run.error) }).toEqual({ failures: 0, runErrors: [] });
    idle.closeAll();
    expect((await daemon.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await daemon.stop()).toBe(0);
  }, 90_000);
});

describe('an answer sent before the request body arrived', () => {
  const trickle = async (url: string, head: string): Promise<{ answer: string; bodyBytesSent: number; bodyBytesDeclared: number }> => {
    const connection = await rawConnection(url);
    connection.socket.write(head);
    const bodyBytesDeclared = Number(/content-length: (\d+)/i.exec(head)?.[1]);
    let bodyBytesSent = 0;
    // One byte every 100 ms: the body would take minutes to arrive.
    const dripping = setInterval(() => {
      if (connection.closed()) return;
      connection.socket.write('x');
      bodyBytesSent += 1;
    }, 100);
    try {
      await waitFor('the answer, then the connection closed', () => ({ answer: connection.received(), closed: connection.closed() }), (seen) => seen.closed, 5000);
    } finally {
      clearInterval(dripping);
    }
    return { answer: connection.received(), bodyBytesSent, bodyBytesDeclared };
  };

  it('closes the connection at once: a 401 without a token, a 413 past --max-body-bytes', async () => {
    const daemon = await SigmaDaemon.start();
    const refused = await trickle(daemon.url, 'POST /processes HTTP/1.1\r\nHost: sigma\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n');
    expect(refused.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(refused.bodyBytesSent).toBeLessThan(refused.bodyBytesDeclared);
    const tooLarge = await trickle(
      daemon.url,
      `POST /processes HTTP/1.1\r\nHost: sigma\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`,
    );
    expect(tooLarge.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(tooLarge.bodyBytesSent).toBeLessThan(tooLarge.bodyBytesDeclared);
    expect(await daemon.stop()).toBe(0);
  }, 30_000);
});

describe('a connection that sends no complete request within --request-timeout-ms', () => {
  it.each([false, true])('is closed: silent from the start, or after its answer (TLS: %s)', async (tls) => {
    const daemon = await SigmaDaemon.start({ tls, args: ['--request-timeout-ms', '1000'] });
    const silent = await rawConnection(daemon.url);
    await waitFor('the silent connection to be closed', () => silent.closed(), (closed) => closed, 10_000);
    if (!tls) {
      const keptAlive = await rawConnection(daemon.url);
      keptAlive.socket.write('GET /health HTTP/1.1\r\nHost: sigma\r\n\r\n');
      await waitFor('the answer to /health', () => keptAlive.received(), (text) => text.includes('\r\n\r\n'), 5000);
      expect(keptAlive.received()).toMatch(/^HTTP\/1\.1 200 /);
      await waitFor('the kept-alive connection to be closed', () => keptAlive.closed(), (closed) => closed, 10_000);
      // Headers begun but never finished.
      const halfSent = await rawConnection(daemon.url);
      halfSent.socket.write('GET /health HTTP/1.1\r\nHost: sig');
      await waitFor('the connection with half its headers to be closed', () => halfSent.closed(), (closed) => closed, 10_000);
    }
    expect(await daemon.stop()).toBe(0);
  }, 40_000);
});

describe('a small descriptor limit', () => {
  it('the daemon starts and runs a job under nofile=96', async () => {
    const daemon = await SigmaDaemon.start({ nofile: 96 });
    expect(await healthOnFreshConnection(daemon.url)).toBe(200);
    const created = await daemon.create({ name: 'one', type: 'ONE_SHOT', command: ['true'] });
    const id = created.body.processes[0].id as number;
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    await waitFor('the job to end', async () => (await daemon.process(id)).state as string, (state) => state === 'DORMANT', 10_000);
    expect((await daemon.process(id)).lastExit).toMatchObject({ code: 0, error: null });
    expect(await daemon.stop()).toBe(0);
  }, 30_000);
});
