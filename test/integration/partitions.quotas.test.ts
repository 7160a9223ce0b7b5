// The quotas of a partition (maxProcesses, definitionBytes) and the node's ceiling: a create or a
// definition change past them is refused with 409 and changes nothing; a DELETE makes room again.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError, processesText } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const asToken = (token: string) => ({ authorization: `Bearer ${token}` });

/** The bytes a definition counts for: each argument and each NAME=value, with a NUL each. */
const bytesOf = (command: string[], env: Record<string, string> = {}): number =>
  command.reduce((sum, argument) => sum + Buffer.byteLength(argument) + 1, 0) +
  Object.entries(env).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value) + 2, 0);

async function partitionWithToken(daemon: SigmaDaemon, body: Record<string, unknown>): Promise<string> {
  const created = await daemon.request('POST', '/partitions', body);
  expect(created.status, created.text).toBe(201);
  const made = await daemon.request('POST', `/partitions/${String(body.name)}/tokens`, {});
  expect(made.status, made.text).toBe(201);
  return made.body.tokens[0].token;
}

describe('partition quotas', () => {
  it('refuses a create past maxProcesses with 409 SIGMA_ERR_PARTITION_QUOTA, creating nothing, and accepts one after a DELETE', async () => {
    const daemon = await SigmaDaemon.start();
    const token = await partitionWithToken(daemon, { name: 'lab', maxProcesses: 2 });
    const first = await daemon.request('POST', '/processes', { name: 'one', command: ['true'] }, asToken(token));
    expect(first.status, first.text).toBe(201);
    expect((await daemon.create({ name: 'two', partition: 'lab', command: ['true'] })).status).toBe(201);
    const before = await processesText(daemon);

    const refused = await daemon.request('POST', '/processes', { name: 'three', command: ['true'], state: 'RUNNING' }, asToken(token));
    expectError(refused, 409, 'SIGMA_ERR_PARTITION_QUOTA');
    expect(refused.body.message).toMatch(/partition "lab" has 2 processes, its maxProcesses quota is 2/);
    // The node token is held to it too; another partition is not.
    expectError(await daemon.create({ name: 'three', partition: 'lab', command: ['true'] }), 409, 'SIGMA_ERR_PARTITION_QUOTA');
    expect(await processesText(daemon)).toBe(before);
    expect((await daemon.request('GET', '/partitions/lab')).body.partitions[0]).toMatchObject({ maxProcesses: 2, processes: 2 });
    expect((await daemon.create({ name: 'elsewhere', command: ['true'] })).status).toBe(201);

    expect((await daemon.request('DELETE', `/processes/${first.body.processes[0].id}`, undefined, asToken(token))).status).toBe(204);
    expect((await daemon.request('POST', '/processes', { name: 'three', command: ['true'] }, asToken(token))).status).toBe(201);

    // Raised by the node token (never by the partition's own), it takes more at once.
    expectError(await daemon.request('PUT', '/partitions/lab', { maxProcesses: 10 }, asToken(token)), 403, 'SIGMA_ERR_OUT_OF_SCOPE');
    const raised = await daemon.request('PUT', '/partitions/lab', { maxProcesses: 3 });
    expect(raised.body.partitions[0]).toMatchObject({ maxProcesses: 3 });
    expect((await daemon.request('POST', '/processes', { name: 'four', command: ['true'] }, asToken(token))).status).toBe(201);
  });

  it('refuses a create or a PATCH that takes its definitions past definitionBytes, changing nothing, and accepts after a DELETE', async () => {
    const daemon = await SigmaDaemon.start();
    const quotaBytes = 4096;
    const token = await partitionWithToken(daemon, { name: 'lab', definitionBytes: quotaBytes });
    const bigEnv = { DATA: 'x'.repeat(2500) };
    const big = await daemon.request('POST', '/processes', { name: 'big', command: ['true'], env: bigEnv }, asToken(token));
    expect(big.status, big.text).toBe(201);
    const small = await daemon.request('POST', '/processes', { name: 'small', command: ['true'] }, asToken(token));
    expect(small.status, small.text).toBe(201);
    const used = bytesOf(['true'], bigEnv) + bytesOf(['true']);
    expect((await daemon.request('GET', '/partitions/lab')).body.partitions[0]).toMatchObject({ definitionBytes: quotaBytes, definitionBytesUsed: used });
    const before = await processesText(daemon);

    const second = { DATA: 'y'.repeat(2000) };
    const refused = await daemon.request('POST', '/processes', { name: 'second', command: ['true'], env: second }, asToken(token));
    expectError(refused, 409, 'SIGMA_ERR_PARTITION_QUOTA');
    expect(refused.body.message).toContain(`would take ${used + bytesOf(['true'], second)} bytes, its definitionBytes quota is ${quotaBytes}`);
    const smallId = small.body.processes[0].id;
    expectError(await daemon.request('PATCH', `/processes/${smallId}`, { env: second }, asToken(token)), 409, 'SIGMA_ERR_PARTITION_QUOTA');
    expect(await processesText(daemon)).toBe(before);
    // A change that fits is taken.
    expect((await daemon.request('PATCH', `/processes/${smallId}`, { env: { SHORT: 'z'.repeat(100) } }, asToken(token))).status).toBe(200);

    expect((await daemon.request('DELETE', `/processes/${big.body.processes[0].id}`, undefined, asToken(token))).status).toBe(204);
    expect((await daemon.request('POST', '/processes', { name: 'second', command: ['true'], env: second }, asToken(token))).status).toBe(201);
  });

  it('gives a new partition the default quotas and default none, takes null for none, refuses values out of range, and keeps them across a restart', async () => {
    const daemon = await SigmaDaemon.start();
    const defaults = { maxProcesses: 1000, definitionBytes: 64 * 1024 * 1024 };
    expect((await daemon.request('GET', '/partitions/default')).body.partitions[0]).toMatchObject({ maxProcesses: null, definitionBytes: null });
    expect((await daemon.request('POST', '/partitions', { name: 'plain' })).body.partitions[0]).toMatchObject({ ...defaults, definitionBytesUsed: 0 });
    const open = await daemon.request('POST', '/partitions', { name: 'open', maxProcesses: null, definitionBytes: null });
    expect(open.body.partitions[0]).toMatchObject({ maxProcesses: null, definitionBytes: null });
    for (const body of [{ maxProcesses: 0 }, { maxProcesses: 1.5 }, { definitionBytes: 100 }, { definitionBytes: '1M' }]) {
      expectError(await daemon.request('POST', '/partitions', { name: 'odd', ...body }), 400, 'SIGMA_ERR_REQUEST_INVALID');
      expectError(await daemon.request('PUT', '/partitions/plain', body), 400, 'SIGMA_ERR_REQUEST_INVALID');
    }
    expect((await daemon.request('PUT', '/partitions/plain', { definitionBytes: 2048 })).status).toBe(200);

    expect(await daemon.stop()).toBe(0);
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    const partitions = (await again.request('GET', '/partitions')).body.partitions;
    expect(partitions.map((p: { name: string; maxProcesses: number | null; definitionBytes: number | null }) => [p.name, p.maxProcesses, p.definitionBytes])).toEqual([
      ['default', null, null],
      ['open', null, null],
      ['plain', 1000, 2048],
    ]);
  });

  it("holds every partition to the node's --max-total-definition-bytes, with 409 SIGMA_ERR_PROCESS_LIMIT", async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-total-definition-bytes', '4096'] });
    await daemon.request('POST', '/partitions', { name: 'open', maxProcesses: null, definitionBytes: null });
    const env = { DATA: 'x'.repeat(1500) };
    expect((await daemon.create({ name: 'a', command: ['true'], env })).status).toBe(201);
    expect((await daemon.create({ name: 'b', partition: 'open', command: ['true'], env })).status).toBe(201);
    const before = await processesText(daemon);
    const refused = await daemon.create({ name: 'c', partition: 'open', command: ['true'], env });
    expectError(refused, 409, 'SIGMA_ERR_PROCESS_LIMIT');
    expect(refused.body.message).toMatch(/--max-total-definition-bytes \(4096\)/);
    expect(await processesText(daemon)).toBe(before);
  });
});
