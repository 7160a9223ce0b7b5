// POST /processes: 201 with Location and the plural root, the defaults, starting at once, and
// every way a creation is refused -- each refusal leaving GET /processes byte-identical.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, processesText, refusalProblems } from '../support/apiChecks.js';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const FIELDS = [
  'id', 'name', 'partition', 'state', 'type', 'period', 'command', 'cwd', 'env', 'stopTimeoutMs', 'pid',
  'startedAt', 'nextReleaseAt', 'lastExit', 'outputError', 'runs', 'overruns', 'skipped', 'failures', 'createdAt',
  'restart', 'restarts', 'timeCapacityMs', 'onDeadlineMiss', 'deadlineMisses', 'nice',
];

const SLEEP = ['sleep', '300'];

/** A daemon holding a DORMANT process and a RUNNING one, so that a change to either would show. */
async function daemonWithProcesses(): Promise<SigmaDaemon> {
  const daemon = await SigmaDaemon.start();
  expect((await daemon.create({ name: 'taken', command: SLEEP })).status).toBe(201);
  const running = await daemon.create({ name: 'busy', command: SLEEP, state: 'RUNNING' });
  expect(running.status).toBe(201);
  trackJobGroup(running.body.processes[0].pid);
  return daemon;
}

interface Refusal {
  label: string;
  body: unknown;
  status: number;
  code: string;
  headers?: Record<string, string>;
}

const schemaError = (label: string, body: unknown): Refusal => ({ label, body, status: 400, code: 'SIGMA_ERR_REQUEST_INVALID' });
const semanticError = (label: string, body: unknown): Refusal => ({ label, body, status: 400, code: 'SIGMA_ERR_PROCESS_INVALID' });

const REFUSALS: Refusal[] = [
  schemaError('invalid JSON', '{"name": "fresh", "command": ["sleep"'),
  schemaError('an empty body', ''),
  schemaError('no body at all', undefined),
  schemaError('a __proto__ key', '{"name": "fresh", "command": ["sleep", "300"], "__proto__": {"admin": true}}'),
  schemaError('a JSON array', '[]'),
  schemaError('no name', { command: SLEEP }),
  schemaError('an unknown field', { name: 'fresh', command: SLEEP, colour: 'red' }),
  schemaError('name as a number', { name: 5, command: SLEEP }),
  schemaError('period as a string', { name: 'fresh', command: SLEEP, type: 'PERIODIC', period: '100' }),
  schemaError('period 0', { name: 'fresh', command: SLEEP, type: 'PERIODIC', period: 0 }),
  schemaError('period 2^31', { name: 'fresh', command: SLEEP, type: 'PERIODIC', period: 2 ** 31 }),
  schemaError('period 1.5', { name: 'fresh', command: SLEEP, type: 'PERIODIC', period: 1.5 }),
  schemaError('stopTimeoutMs -1', { name: 'fresh', command: SLEEP, stopTimeoutMs: -1 }),
  schemaError('an unknown type', { name: 'fresh', command: SLEEP, type: 'CRON' }),
  schemaError('an unknown state', { name: 'fresh', command: SLEEP, state: 'ASLEEP' }),
  schemaError('name ""', { name: '', command: SLEEP }),
  schemaError('name "."', { name: '.', command: SLEEP }),
  schemaError('name ".."', { name: '..', command: SLEEP }),
  schemaError('name "a/b"', { name: 'a/b', command: SLEEP }),
  schemaError('a name of 65 characters', { name: 'n'.repeat(65), command: SLEEP }),
  schemaError('name "名前"', { name: '名前', command: SLEEP }),
  schemaError('an empty command', { name: 'fresh', command: [] }),
  schemaError('command as a string', { name: 'fresh', command: 'sleep 300' }),
  schemaError('a relative cwd', { name: 'fresh', command: SLEEP, cwd: 'relative/dir' }),
  schemaError('env key "1BAD"', { name: 'fresh', command: SLEEP, env: { '1BAD': 'x' } }),
  semanticError('period on an implicit ONE_SHOT', { name: 'fresh', command: SLEEP, period: 1000 }),
  semanticError('period on an explicit ONE_SHOT', { name: 'fresh', command: SLEEP, type: 'ONE_SHOT', period: 1000 }),
  semanticError('PERIODIC without period', { name: 'fresh', command: SLEEP, type: 'PERIODIC' }),
  // The document lists only DORMANT, READY and RUNNING for a create, and the server holds to it.
  schemaError('initial state WAITING', { name: 'fresh', command: SLEEP, state: 'WAITING' }),
  schemaError('initial state SUSPENDEND', { name: 'fresh', command: SLEEP, state: 'SUSPENDEND' }),
  schemaError('initial state SUSPENDED', { name: 'fresh', command: SLEEP, state: 'SUSPENDED' }),
  { label: 'a name taken', body: { name: 'taken', command: ['true'] }, status: 409, code: 'SIGMA_ERR_PROCESS_NAME_TAKEN' },
  { label: 'a name taken, to start', body: { name: 'busy', command: SLEEP, state: 'RUNNING' }, status: 409, code: 'SIGMA_ERR_PROCESS_NAME_TAKEN' },
  { label: 'no command, no program', body: { name: 'no_such_program' }, status: 400, code: 'SIGMA_ERR_PROGRAM_NOT_FOUND' },
  {
    label: 'a body over 64 KiB',
    body: { name: 'fresh', command: ['echo', 'x'.repeat(4000), ...Array<string>(16).fill('y'.repeat(4000))] },
    status: 413,
    code: 'SIGMA_ERR_REQUEST_TOO_LARGE',
  },
  {
    label: 'Content-Type text/plain',
    body: JSON.stringify({ name: 'fresh', command: SLEEP }),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'SIGMA_ERR_REQUEST_CONTENT_TYPE',
  },
  {
    label: 'Content-Type application/x-www-form-urlencoded',
    body: 'name=fresh&command=sleep',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'SIGMA_ERR_REQUEST_CONTENT_TYPE',
  },
];

describe('POST /processes', () => {
  it('creates a DORMANT ONE_SHOT with the defaults: 201, Location, {"processes":[process]}', async () => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.create({ name: 'nap', command: SLEEP });
    expect(reply.status).toBe(201);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(reply.body)).toEqual(['processes']);
    expect(reply.body.processes).toHaveLength(1);
    const created = reply.body.processes[0];
    expect(Object.keys(created).sort()).toEqual([...FIELDS].sort());
    expect(created).toMatchObject({
      name: 'nap', state: 'DORMANT', type: 'ONE_SHOT', period: null, command: SLEEP, cwd: null, env: {},
      stopTimeoutMs: 5000, pid: null, startedAt: null, nextReleaseAt: null, lastExit: null,
      runs: 0, overruns: 0, skipped: 0, failures: 0,
    });
    expect(Number.isInteger(created.id) && created.id >= 1).toBe(true);
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    expect(reply.headers.location).toBe(`/processes/${created.id}`);

    const fetched = await daemon.request('GET', reply.headers.location as string);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual({ processes: [created] });
  });

  it('keeps every field it is given; accepts the edges of the name rule and a charset on the JSON type', async () => {
    const daemon = await SigmaDaemon.start();
    const definition = {
      name: 'n'.repeat(64), type: 'PERIODIC', period: 60_000, command: ['sh', '-c', 'echo "$GREETING"'],
      cwd: '/tmp', env: { GREETING: 'hello world', _UNDER_1: '' }, stopTimeoutMs: 0,
    };
    const reply = await daemon.create(definition);
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body.processes[0]).toMatchObject({ ...definition, state: 'DORMANT', nextReleaseAt: null });
    for (const name of ['a', 'Motors_checkup-2.v1', '...', '.hidden']) {
      expect((await daemon.create({ name, command: SLEEP })).status, name).toBe(201);
    }
    const withCharset = await daemon.request('POST', '/processes', { name: 'charset', command: SLEEP }, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(withCharset.status, withCharset.text).toBe(201);
  });

  it.each(['RUNNING', 'READY'])('with state %s creates and starts at once: 201 RUNNING with a live job', async (state) => {
    const daemon = await SigmaDaemon.start();
    const reply = await daemon.create({ name: 'starter', command: SLEEP, state });
    expect(reply.status, reply.text).toBe(201);
    const created = reply.body.processes[0];
    trackJobGroup(created.pid);
    expect(created).toMatchObject({ state: 'RUNNING', runs: 1, pid: expect.any(Number) });
    expect(isAlive(created.pid)).toBe(true);
    expect(reply.headers.location).toBe(`/processes/${created.id}`);

    expect((await daemon.request('DELETE', `/processes/${created.id}`)).status).toBe(204);
    expect(procState(created.pid)).toBeNull();
  });

  it('runs the executable named after the process from the programs dir when no command is given', async () => {
    const daemon = await SigmaDaemon.start();
    const program = join(daemon.dataDir, 'programs', 'installed');
    writeFileSync(program, '#!/bin/sh\nexit 0\n');
    chmodSync(program, 0o755);
    expect((await daemon.create({ name: 'installed' })).status).toBe(201);

    const plainFile = join(daemon.dataDir, 'programs', 'not_executable');
    writeFileSync(plainFile, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const before = await processesText(daemon);
    expectError(await daemon.create({ name: 'not_executable' }), 400, 'SIGMA_ERR_PROGRAM_NOT_FOUND');
    expect(await processesText(daemon)).toBe(before);
  });

  it('refuses every bad creation with its status and code, and changes nothing', async () => {
    const daemon = await daemonWithProcesses();
    const problems: string[] = [];
    for (const { label, body, status, code, headers } of REFUSALS) {
      const send = () => daemon.request('POST', '/processes', body, headers);
      problems.push(...(await refusalProblems(daemon, label, send, status, code)));
    }
    expect(problems).toEqual([]);
  });
});
