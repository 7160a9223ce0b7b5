// Partitions through the API: definitions and their validation, running slots per partition,
// operations on a whole partition, and what survives a restart.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { errorMismatch } from '../support/apiChecks.js';
import { readProcEntry } from '../support/jobInvariants.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { liveChildrenOf, STARTER_NAME } from '../support/stateBench.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const NO_LIMITS = { maxRunning: null, cpu: null, memoryBytes: null, pids: null };

/** The processes (by id) that have a live job now, counted in /proc: children of the daemon's job parent that carry their id. */
function runningInProc(daemon: SigmaDaemon, ids: readonly number[]): number[] {
  return liveChildrenOf(daemon.jobParentPid)
    .filter((child) => child.comm !== STARTER_NAME)
    .map((child) => readProcEntry(child.pid)?.sigmaProcessId ?? null)
    .filter((id): id is number => id !== null && ids.includes(id))
    .sort((a, b) => a - b);
}

describe('partitions', () => {
  it('has a default partition that every process goes to unless another is named', async () => {
    const daemon = await SigmaDaemon.start();
    const listed = await daemon.request('GET', '/partitions');
    expect(listed.status).toBe(200);
    expect(listed.body.partitions).toEqual([
      expect.objectContaining({ name: 'default', ...NO_LIMITS, processes: 0, running: 0, unenforced: [] }),
    ]);
    const created = await daemon.create({ name: 'plain', command: ['true'] });
    expect(created.body.processes[0].partition).toBe('default');
    expect((await daemon.request('GET', '/partitions/default')).body.partitions[0].processes).toBe(1);

    const refused = await daemon.request('DELETE', '/partitions/default');
    expect(errorMismatch(refused, 409, 'SIGMA_ERR_PARTITION_IS_DEFAULT')).toBeNull();
  });

  it('creates, reads, limits and deletes a partition, and refuses what is wrong without changing anything', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.request('POST', '/partitions', { name: 'lab', maxRunning: 2, cpu: 0.5, memoryBytes: 268435456, pids: 64 });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.location).toBe('/partitions/lab');
    expect(created.body.partitions[0]).toMatchObject({ name: 'lab', maxRunning: 2, cpu: 0.5, memoryBytes: 268435456, pids: 64, processes: 0, running: 0 });

    for (const [body, code] of [
      [{ name: 'lab' }, 'SIGMA_ERR_PARTITION_EXISTS'],
      [{ name: '..' }, 'SIGMA_ERR_REQUEST_INVALID'],
      [{ name: 'x', maxRunning: 0 }, 'SIGMA_ERR_REQUEST_INVALID'],
      [{ name: 'x', cpu: 0 }, 'SIGMA_ERR_REQUEST_INVALID'],
      [{ name: 'x', memoryBytes: 1000 }, 'SIGMA_ERR_REQUEST_INVALID'],
      [{ name: 'x', pids: 1.5 }, 'SIGMA_ERR_REQUEST_INVALID'],
      [{ name: 'x', color: 'red' }, 'SIGMA_ERR_REQUEST_INVALID'],
    ] as const) {
      const reply = await daemon.request('POST', '/partitions', body);
      expect(errorMismatch(reply, code === 'SIGMA_ERR_PARTITION_EXISTS' ? 409 : 400, code), JSON.stringify(body)).toBeNull();
    }
    expect((await daemon.request('GET', '/partitions')).body.partitions.map((p: { name: string }) => p.name)).toEqual(['default', 'lab']);

    const changed = await daemon.request('PUT', '/partitions/lab', { cpu: null, pids: 128 });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.partitions[0]).toMatchObject({ maxRunning: 2, cpu: null, memoryBytes: 268435456, pids: 128 });
    for (const body of [{}, { operation: 'STOP', pids: 3 }, { operation: 'RESTART' }, { maxRunning: -1 }]) {
      const reply = await daemon.request('PUT', '/partitions/lab', body);
      expect(errorMismatch(reply, 400, 'SIGMA_ERR_REQUEST_INVALID'), JSON.stringify(body)).toBeNull();
    }
    expect((await daemon.request('GET', '/partitions/lab')).body.partitions[0]).toMatchObject({ maxRunning: 2, cpu: null, pids: 128 });
    expect(errorMismatch(await daemon.request('GET', '/partitions/nope'), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND')).toBeNull();
    expect(errorMismatch(await daemon.request('PUT', '/partitions/nope', { pids: 3 }), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND')).toBeNull();

    const inside = await daemon.create({ name: 'inside', partition: 'lab', command: ['true'] });
    expect(inside.body.processes[0].partition).toBe('lab');
    expect(errorMismatch(await daemon.create({ name: 'lost', partition: 'nope', command: ['true'] }), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND')).toBeNull();
    expect((await daemon.request('GET', '/processes?process_name=lost')).status).toBe(404);
    const listedIn = await daemon.request('GET', '/processes?partition=lab');
    expect(listedIn.body.processes.map((p: { name: string }) => p.name)).toEqual(['inside']);
    expect(errorMismatch(await daemon.request('GET', '/processes?partition=nope'), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND')).toBeNull();

    expect(errorMismatch(await daemon.request('DELETE', '/partitions/lab'), 409, 'SIGMA_ERR_PARTITION_NOT_EMPTY')).toBeNull();
    await daemon.request('DELETE', `/processes/${inside.body.processes[0].id}`);
    expect((await daemon.request('DELETE', '/partitions/lab')).status).toBe(204);
    expect(errorMismatch(await daemon.request('DELETE', '/partitions/lab'), 404, 'SIGMA_ERR_PARTITION_NOT_FOUND')).toBeNull();
  });

  it('runs at most maxRunning jobs of a partition: the others wait in READY and run in order as slots free, without holding up another partition', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'pair', maxRunning: 2 });
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      ids.push((await daemon.create({ name, partition: 'pair', command: ['sleep', '300'] })).body.processes[0].id);
    }
    const outside = (await daemon.create({ name: 'outside', command: ['sleep', '300'] })).body.processes[0].id;
    const states = async (): Promise<string[]> =>
      (await daemon.request('GET', '/processes?partition=pair')).body.processes.map((p: { state: string }) => p.state);
    for (const id of ids) await daemon.operate(id, 'START');
    expect(await states()).toEqual(['RUNNING', 'RUNNING', 'READY', 'READY', 'READY']);
    expect((await daemon.request('GET', '/partitions/pair')).body.partitions[0]).toMatchObject({ processes: 5, running: 2 });
    // The kernel's view: the jobs of a and b, and none of the queued ones.
    const jobsOf = (...which: number[]): number[] => which.map((index) => ids[index] as number);
    expect(runningInProc(daemon, ids), 'the partition\'s live jobs in /proc').toEqual(jobsOf(0, 1));
    expect((await daemon.operate(outside, 'START')).body.processes[0]).toMatchObject({ state: 'RUNNING', result: 'OK' });

    await daemon.operate(ids[0] as number, 'STOP');
    await waitFor('c to take the freed slot', states, (s) => s[2] === 'RUNNING');
    expect(await states()).toEqual(['DORMANT', 'RUNNING', 'RUNNING', 'READY', 'READY']);
    expect(await waitFor('c\'s job to run and a\'s to be gone', () => runningInProc(daemon, ids), (running) => running.length <= 2 && running.includes(ids[2] as number))).toEqual(jobsOf(1, 2));
    await daemon.operate(ids[1] as number, 'STOP');
    await waitFor('d to take the freed slot', states, (s) => s[3] === 'RUNNING');
    expect(await states()).toEqual(['DORMANT', 'DORMANT', 'RUNNING', 'RUNNING', 'READY']);

    // A raised limit hands its new slot at once; a lowered one ends nothing that runs.
    await daemon.request('PUT', '/partitions/pair', { maxRunning: 3 });
    await waitFor('e to take the new slot', states, (s) => s[4] === 'RUNNING');
    await daemon.request('PUT', '/partitions/pair', { maxRunning: 1 });
    expect(await states()).toEqual(['DORMANT', 'DORMANT', 'RUNNING', 'RUNNING', 'RUNNING']);
    expect(runningInProc(daemon, ids), 'a lowered limit ends no job').toEqual(jobsOf(2, 3, 4));
    await daemon.operate(ids[2] as number, 'STOP');
    await daemon.operate(ids[0] as number, 'START');
    expect(await states()).toEqual(['READY', 'DORMANT', 'DORMANT', 'RUNNING', 'RUNNING']);
    expect(runningInProc(daemon, ids), 'a queued START runs nothing').toEqual(jobsOf(3, 4));

    const stopped = await daemon.request('PUT', '/partitions/pair', { operation: 'STOP' });
    expect(stopped.status, stopped.text).toBe(200);
    expect(stopped.body.processes.map((r: { id: number; result: string; state: string }) => [r.id, r.result, r.state])).toEqual(
      ids.map((id) => [id, 'OK', 'DORMANT']),
    );
    expect((await daemon.process(outside)).state).toBe('RUNNING');
    await daemon.operate(outside, 'STOP');
  });

  it('suspends, resumes and stops every process of a partition, answering for each', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'group' });
    const ids: number[] = [];
    for (const name of ['one', 'two']) {
      ids.push((await daemon.create({ name, partition: 'group', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id);
    }
    for (const id of ids) await daemon.process(id);
    const other = (await daemon.create({ name: 'other', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id;
    await daemon.process(other);

    const suspended = await daemon.request('PUT', '/partitions/group', { operation: 'SUSPEND' });
    expect(suspended.body.processes).toEqual(ids.map((id, i) => ({ id, name: ['one', 'two'][i], state: 'SUSPENDEND', result: 'OK' })));
    expect((await daemon.process(other)).state).toBe('RUNNING');
    const resumed = await daemon.request('PUT', '/partitions/group', { operation: 'RESUME' });
    expect(resumed.body.processes.map((r: { state: string }) => r.state)).toEqual(['RUNNING', 'RUNNING']);
    const stopped = await daemon.request('PUT', '/partitions/group', { operation: 'STOP' });
    expect(stopped.body.processes.map((r: { state: string }) => r.state)).toEqual(['DORMANT', 'DORMANT']);
    const empty = await daemon.request('POST', '/partitions', { name: 'empty' });
    expect(empty.status).toBe(201);
    expect((await daemon.request('PUT', '/partitions/empty', { operation: 'STOP' })).body).toEqual({ processes: [] });
    await daemon.operate(other, 'STOP');
  });

  it('answers an operation on a partition for the processes still there when one is deleted meanwhile', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'busy' });
    const ids: number[] = [];
    // p2 ignores SIGTERM: its DELETE waits out a 1.5 s grace, and the partition's STOP, sent
    // meanwhile, finds p2 still listed but queued behind its deletion.
    for (const [name, command] of [
      ['p1', ['sleep', '300']],
      ['p2', ['sh', '-c', 'trap "" TERM; sleep 300']],
      ['p3', ['sleep', '300']],
    ] as const) {
      const created = await daemon.create({ name, partition: 'busy', command, stopTimeoutMs: 1500, state: 'RUNNING' });
      ids.push(created.body.processes[0].id);
      await daemon.process(created.body.processes[0].id);
    }
    const deleting = daemon.request('DELETE', `/processes/${ids[1]}`);
    await sleep(300);
    const stopped = await daemon.request('PUT', '/partitions/busy', { operation: 'STOP' });
    expect((await deleting).status).toBe(204);
    expect(stopped.status, stopped.text).toBe(200);
    const answered = stopped.body.processes.map((r: { id: number; result: string; state: string }) => [r.id, r.result, r.state]);
    expect(answered).toEqual([
      [ids[0], 'OK', 'DORMANT'],
      [ids[2], 'OK', 'DORMANT'],
    ]);
  });

  it('keeps partitions, their limits and the processes in them across a restart', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.request('POST', '/partitions', { name: 'kept', maxRunning: 1, pids: 32 });
    await daemon.create({ name: 'member', partition: 'kept', command: ['true'] });
    await daemon.stop();
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    expect((await again.request('GET', '/partitions/kept')).body.partitions[0]).toMatchObject({ maxRunning: 1, pids: 32, processes: 1 });
    expect((await again.request('GET', '/processes?process_name=member')).body.processes[0].partition).toBe('kept');
  });
});
