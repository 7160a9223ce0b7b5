// The stream slots (event streams, followed logs) under --max-streams: a partition token holds an
// eighth of them at most, partition tokens together never the last eighth (the node token's).
import { afterEach, describe, expect, it } from 'vitest';
import { openStream, type OpenStream } from '../support/openStream.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const held: OpenStream[] = [];
afterEach(() => {
  for (const stream of held.splice(0)) stream.close();
});

/** Opens GET `path` with `token`: the open stream (kept to close after the test), or the error answer's code and message. */
async function tryStream(daemon: SigmaDaemon, token: string, path = '/events'): Promise<{ status: number; code?: string; message?: string; stream?: OpenStream }> {
  const stream = await openStream(`${daemon.url}${path}`, token);
  if (stream.status === 200) {
    held.push(stream);
    return { status: 200, stream };
  }
  await stream.ended;
  const body = JSON.parse(stream.text()) as { code: string; message: string };
  return { status: stream.status, code: body.code, message: body.message };
}

/** Opens streams with `token` until one is refused: how many were open, and the refusal. */
async function openUntilRefused(daemon: SigmaDaemon, token: string, path?: string): Promise<{ opened: OpenStream[]; refusal: { status: number; code?: string; message?: string } }> {
  const opened: OpenStream[] = [];
  for (let i = 0; i < 100; i++) {
    const attempt = await tryStream(daemon, token, path);
    if (!attempt.stream) return { opened, refusal: attempt };
    opened.push(attempt.stream);
  }
  throw new Error('100 streams opened and none refused');
}

async function partitionToken(daemon: SigmaDaemon, partition: string): Promise<string> {
  const reply = await daemon.request('POST', `/partitions/${partition}/tokens`, {});
  expect(reply.status, reply.text).toBe(201);
  return reply.body.tokens[0].token as string;
}

describe('stream slots (the default --max-streams 64)', () => {
  it('give a partition token 8, partition tokens together 56, and always keep 8 for the node token; a closed stream frees its slot', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'crowd' });
    await daemon.request('POST', '/partitions', { name: 'other' });
    const id = (await daemon.create({ name: 'talker', partition: 'crowd', command: ['true'] })).body.processes[0].id;

    // One token: 8 streams (a followed log counts as one), then 429.
    const first = await partitionToken(daemon, 'crowd');
    const log = await tryStream(daemon, first, `/processes/${id}/logs?follow=true`);
    expect(log.status).toBe(200);
    const firstRun = await openUntilRefused(daemon, first);
    expect(firstRun.opened.length + 1).toBe(8);
    expect(firstRun.refusal).toMatchObject({ status: 429, code: 'SIGMA_ERR_TOO_MANY_STREAMS' });
    expect(firstRun.refusal.message).toMatch(/partition token holds 8 streams/);

    // Six more tokens, of two partitions, take 8 each: 56 in all, the most partition tokens may hold.
    for (let i = 0; i < 6; i++) {
      const token = await partitionToken(daemon, i % 2 === 0 ? 'crowd' : 'other');
      const run = await openUntilRefused(daemon, token);
      expect(run.opened.length, `token ${i + 2}`).toBe(8);
    }
    // An eighth token, holding nothing yet, is refused: the last 8 slots are the node token's.
    const late = await partitionToken(daemon, 'other');
    const lateRun = await openUntilRefused(daemon, late);
    expect(lateRun.opened.length).toBe(0);
    expect(lateRun.refusal).toMatchObject({ status: 429, code: 'SIGMA_ERR_TOO_MANY_STREAMS' });
    expect(lateRun.refusal.message).toMatch(/kept for the node token/);

    // The node token still has its 8, and then --max-streams is reached for it too.
    const nodeRun = await openUntilRefused(daemon, daemon.token);
    expect(nodeRun.opened.length).toBe(8);
    expect(nodeRun.refusal).toMatchObject({ status: 429, code: 'SIGMA_ERR_TOO_MANY_STREAMS' });
    expect(nodeRun.refusal.message).toMatch(/64 streams are open already/);
    const [nodeStream] = nodeRun.opened;
    expect(nodeStream?.text()).toContain('retry:');

    // Closed streams free their slots: one of the first token's for it, one of the node's for the node.
    firstRun.opened[0]?.close();
    await waitFor('the first token to get a slot back', async () => (await tryStream(daemon, first)).status, (status) => status === 200);
    expect((await tryStream(daemon, first)).status, 'its share is full again').toBe(429);
    nodeStream?.close();
    await waitFor('the node token to get a slot back', async () => (await tryStream(daemon, daemon.token)).status, (status) => status === 200);
  });

  it('are shared by eighths of any --max-streams, at least one each', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-streams', '3'] });
    await daemon.request('POST', '/partitions', { name: 'small' });
    const one = await partitionToken(daemon, 'small');
    const two = await partitionToken(daemon, 'small');
    expect((await openUntilRefused(daemon, one)).opened.length).toBe(1);
    expect((await openUntilRefused(daemon, two)).opened.length).toBe(1);
    const third = await partitionToken(daemon, 'small');
    expect((await openUntilRefused(daemon, third)).opened.length, 'the last slot is the node token\'s').toBe(0);
    expect((await openUntilRefused(daemon, daemon.token)).opened.length).toBe(1);
  });
});
