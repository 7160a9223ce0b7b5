// GET /processes/{id}/logs: what the jobs wrote, whole or its tail, and followed live.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { openStream } from '../support/openStream.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const logsOf = async (daemon: SigmaDaemon, id: number, query = ''): Promise<string> => {
  const reply = await daemon.request('GET', `/processes/${id}/logs${query}`);
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
  return reply.text;
};

const numbers = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

describe('reading logs', () => {
  it('answers stdout or stderr, whole or its last lines', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'counter', command: ['sh', '-c', 'seq 1 10; echo oops >&2'], state: 'RUNNING' });
    const id = created.body.processes[0].id;
    await waitFor('all ten lines', () => logsOf(daemon, id), (text) => text === numbers(1, 10));
    expect(await logsOf(daemon, id, '?tail=3')).toBe(numbers(8, 10));
    expect(await logsOf(daemon, id, '?tail=0')).toBe('');
    expect(await logsOf(daemon, id, '?tail=1000')).toBe(numbers(1, 10));
    expect(await logsOf(daemon, id, '?stream=stderr')).toBe('oops\n');
    expect(await logsOf(daemon, id, '?stream=stderr&tail=1')).toBe('oops\n');
  });

  it('reads across a rotation: the rotated file first, then the current one', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--log-max-bytes', '65536'] });
    // About 110 KB: one rotation.
    const id = (await daemon.create({ name: 'chatty', command: ['seq', '1', '20000'], state: 'RUNNING' })).body.processes[0].id;
    await waitFor('the last line', () => logsOf(daemon, id, '?tail=1'), (text) => text === '20000\n');
    expect(await logsOf(daemon, id)).toBe(numbers(1, 20000));
    expect(await logsOf(daemon, id, '?tail=15000')).toBe(numbers(5001, 20000));
  });

  it('is empty before any job has written, and refuses bad queries and unknown processes', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'quiet', command: ['true'] })).body.processes[0].id;
    expect(await logsOf(daemon, id)).toBe('');
    for (const query of ['?stream=both', '?tail=-1', '?tail=x', '?follow=maybe', '?lines=3']) {
      expectError(await daemon.request('GET', `/processes/${id}/logs${query}`), 400, 'SIGMA_ERR_REQUEST_INVALID');
    }
    expectError(await daemon.request('GET', '/processes/999/logs'), 404, 'SIGMA_ERR_PROCESS_NOT_FOUND');
    expectError(await daemon.request('GET', `/processes/${id}/logs`, undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
  });

  it('follows new output as it is written, across rotations, until the process is deleted', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--log-max-bytes', '65536'] });
    // 1 KB lines, slowly enough that each rotation is seen: about 200 KB in all.
    const script = 'i=0; while [ $i -lt 200 ]; do i=$((i+1)); printf "%04d %01000d\\n" $i 0; sleep 0.01; done';
    const id = (await daemon.create({ name: 'writer', command: ['sh', '-c', script] })).body.processes[0].id;
    const stream = await openStream(`${daemon.url}/processes/${id}/logs?follow=true`, daemon.token);
    expect(stream.status).toBe(200);
    // Not cached on the way, and closed with the answer (a kept-alive connection would hold a shutdown).
    expect(stream.headers).toMatchObject({ 'cache-control': 'no-cache', connection: 'close' });
    await daemon.operate(id, 'START');
    const text = await stream.waitForText('all 200 lines', (received) => received.includes('0200 '), 30_000);
    const lineNumbers = text.trimEnd().split('\n').map((line) => Number(line.slice(0, 4)));
    expect(lineNumbers).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
    await stream.ended;
  });

  it('ends followed logs when the daemon stops, without holding it up', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'later', command: ['true'] })).body.processes[0].id;
    const stream = await openStream(`${daemon.url}/processes/${id}/logs?follow=true&tail=10`, daemon.token);
    expect(await daemon.stop()).toBe(0);
    await stream.ended;
  });

  it('refuses a stream past --max-streams with 429, and takes one again once a stream closes', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-streams', '1'] });
    const id = (await daemon.create({ name: 'watched', command: ['true'] })).body.processes[0].id;
    const first = await openStream(`${daemon.url}/processes/${id}/logs?follow=true`, daemon.token);
    expectError(await daemon.request('GET', '/events'), 429, 'SIGMA_ERR_TOO_MANY_STREAMS');
    expect(await logsOf(daemon, id), 'a plain read is not a stream').toBe('');
    first.close();
    await waitFor(
      'the stream slot to free',
      async () => {
        const next = await openStream(`${daemon.url}/events`, daemon.token);
        next.close();
        return next.status;
      },
      (status) => status === 200,
    );
  });
});
