// Refusals in the user's words, through the real daemon: a bad name states the rule and shows the
// value, a command sent as one string shows the argv it likely meant, an unknown field names the
// known one it is near, and plain HTTP on the HTTPS port is told to use https://. Each keeps its
// status and code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { destroyRawConnections, rawConnection } from '../support/rawConnection.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

const NAME_RULE = '1 to 64 letters, digits, "_", "-" or "." (not "." or "..")';

function refusedWith(reply: Reply, message: string): void {
  expectError(reply, 400, 'SIGMA_ERR_REQUEST_INVALID');
  expect(reply.body.message).toBe(message);
}

describe('messages of refused bodies', () => {
  let daemon: SigmaDaemon;
  beforeAll(async () => {
    daemon = await SigmaDaemon.start();
  });
  afterAll(cleanUpDaemons);

  it('a bad process or partition name: the rule and the value sent', async () => {
    refusedWith(await daemon.create({ name: 'a/b', command: ['true'] }), `body.name must be ${NAME_RULE}, not "a/b"`);
    refusedWith(await daemon.create({ name: '..', command: ['true'] }), `body.name must be ${NAME_RULE}, not ".."`);
    refusedWith(await daemon.request('POST', '/partitions', { name: 'my lab' }), `body.name must be ${NAME_RULE}, not "my lab"`);
    refusedWith(await daemon.create({ name: 'ok', command: ['true'], partition: 'a b' }), `body.partition must be ${NAME_RULE}, not "a b"`);
  });

  it('a value shown in a message is escaped and cut short', async () => {
    // ESC, a right-to-left override and a line separator: none reaches the message as itself.
    const hostile = await daemon.create({ name: 'x\u001b[2J\u202eevil\u2028', command: ['true'] });
    refusedWith(hostile, `body.name must be ${NAME_RULE}, not "x\\u001b[2J\\u202eevil\\u2028"`);
    const long = await daemon.create({ name: 'n'.repeat(300), command: ['true'] });
    refusedWith(long, `body.name must be ${NAME_RULE}, not "${'n'.repeat(80)}..."`);
    refusedWith(await daemon.create({ name: 'ok', command: ['true'], cwd: 'srv' }), 'body.cwd must be an absolute path: "/" and up to 4095 more characters, none of them NUL, not "srv"');
  });

  it('a command sent as one string: an argv is an array of strings, and the one it likely meant', async () => {
    refusedWith(
      await daemon.create({ name: 'napper', command: 'sleep 5' }),
      'body.command must be an array of strings (the argv, run without a shell), e.g. ["sleep","5"] for "sleep 5"',
    );
    // A line with shell syntax runs under a shell only if the argv asks for one.
    refusedWith(
      await daemon.create({ name: 'counter', command: 'ls /tmp | wc -l' }),
      'body.command must be an array of strings (the argv, run without a shell), e.g. ["sh","-c","ls /tmp | wc -l"] for "ls /tmp | wc -l"',
    );
    refusedWith(await daemon.create({ name: 'blank', command: '  ' }), 'body.command must be an array of strings (the argv, run without a shell)');
    const created = await daemon.create({ name: 'kept', command: ['true'] });
    expect(created.status).toBe(201);
    const id = created.body.processes[0].id as number;
    refusedWith(
      await daemon.request('PATCH', `/processes/${id}`, { command: 'sleep  30' }),
      'body.command must be an array of strings (the argv, run without a shell), e.g. ["sleep","30"] for "sleep  30"',
    );
    expect((await daemon.process(id)).command).toEqual(['true']);
  });

  it('an unknown field: the known one it is near, else the fields there are', async () => {
    refusedWith(await daemon.create({ name: 'typo', comand: ['true'] }), 'body has an unknown field "comand" (did you mean "command"?)');
    refusedWith(
      await daemon.create({ name: 'typo', command: ['true'], type: 'PERIODIC', perod: 100 }),
      'body has an unknown field "perod" (did you mean "period"?)',
    );
    refusedWith(
      await daemon.create({ name: 'typo', command: ['true'], colour: 'red' }),
      'body has an unknown field "colour"; the fields are name, type, period, state, command, cwd, env, stopTimeoutMs, restart, timeCapacityMs, onDeadlineMiss, nice, partition, node, placement, relocatable',
    );
    refusedWith(
      await daemon.create({ name: 'typo', command: ['true'], restart: { policy: 'always', dealyMs: 10 } }),
      'body.restart has an unknown field "dealyMs" (did you mean "delayMs"?)',
    );
    const created = await daemon.create({ name: 'operated', command: ['true'] });
    const id = created.body.processes[0].id as number;
    refusedWith(await daemon.request('PUT', `/processes/${id}`, { operaton: 'START' }), 'body has an unknown field "operaton" (did you mean "operation"?)');
    expect((await daemon.process(id)).state).toBe('DORMANT');
    expect((await daemon.request('GET', '/processes')).body.processes.map((process: { name: string }) => process.name)).toEqual(['kept', 'operated']);
  });
});

describe('plain HTTP sent to the HTTPS port', () => {
  let daemon: SigmaDaemon;
  beforeAll(async () => {
    daemon = await SigmaDaemon.start({ tls: true });
  });
  afterAll(async () => {
    destroyRawConnections();
    await cleanUpDaemons();
  });

  it('is answered 400 with the https:// URL to use, and the connection closed', async () => {
    const { host } = new URL(daemon.url);
    const plain = await rawConnection(daemon.url);
    plain.socket.write(`GET /processes?state=RUNNING HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    await waitFor('the plain connection to be answered and closed', () => plain.closed(), (closed) => closed, 10_000);
    const [head, body] = plain.received().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toMatch(/\r\nContent-Type: application\/json/);
    expect(JSON.parse(body ?? '')).toEqual({
      statusCode: 400,
      code: 'SIGMA_ERR_REQUEST_INVALID',
      error: 'Bad Request',
      message: `this port speaks HTTPS, not plain HTTP: use https://${host}/processes?state=RUNNING`,
    });
  });

  it('a Host that is not plainly a host name is not repeated: the address the request came to is', async () => {
    const { hostname, port } = new URL(daemon.url);
    const plain = await rawConnection(daemon.url);
    plain.socket.write('POST /processes HTTP/1.1\r\nHost: <script>\r\nContent-Length: 2\r\n\r\n{}');
    await waitFor('the plain connection to be answered and closed', () => plain.closed(), (closed) => closed, 10_000);
    expect(plain.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(plain.received().split('\r\n\r\n')[1] ?? '').message).toBe(`this port speaks HTTPS, not plain HTTP: use https://${hostname}:${port}/processes`);
  });

  it('bytes that are neither TLS nor HTTP get no answer, and HTTPS is served as before', async () => {
    const garbage = await rawConnection(daemon.url);
    garbage.socket.write('\u0000\u0001hello');
    await waitFor('the garbage connection to be closed', () => garbage.closed(), (closed) => closed, 10_000);
    expect(garbage.received()).toBe('');
    const health = await daemon.request('GET', '/health', undefined, { authorization: '' });
    expect(health.status).toBe(200);
    expectError(await daemon.request('GET', '/processes', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
  });
});
