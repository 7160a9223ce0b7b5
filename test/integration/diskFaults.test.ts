// A full or read-only disk under the data dir: every 2xx is stored, every 503 says exactly what was
// done, and a change the daemon could only hold in memory reaches the store once the disk takes
// writes again, so that a restart then shows it.
import { join } from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { DiskFiller, makeReadOnly, mountLoopExt4, mountTmpfs, unmountDisks } from '../support/smallDisks.js';
import { waitFor } from '../support/waitFor.js';

afterEach(async () => {
  try {
    await cleanUpDaemons();
  } finally {
    unmountDisks();
  }
});

const DISK_BYTES = 16 * 1024 * 1024;
const PAGE_BYTES = 4096;
/** What the daemon logs once it has written what the store refused. */
const WRITTEN_AGAIN = /the store takes writes again/;

function mountOrSkip(context: TestContext, mount: () => string): string {
  try {
    return mount();
  } catch (error) {
    context.skip(`no small file system can be mounted here (${String(error).split('\n')[0]})`);
    throw error;
  }
}

async function startOn(disk: string): Promise<SigmaDaemon> {
  return SigmaDaemon.start({ dataDir: join(disk, 'data'), args: ['--log-level', 'info'] });
}

async function startSleeper(daemon: SigmaDaemon, name: string): Promise<{ id: number; pid: number }> {
  const created = await daemon.create({ name, command: ['sleep', '300'], state: 'RUNNING' });
  expect(created.status).toBe(201);
  const id = created.body.processes[0].id as number;
  const { pid } = await waitFor(`${name} to run`, () => daemon.process(id), (p) => p.state === 'RUNNING' && p.pid !== null);
  return { id, pid };
}

/** The same data dir after SIGKILL of the daemon (its launcher and jobs run on and are adopted). */
async function restartAfterKill(daemon: SigmaDaemon): Promise<SigmaDaemon> {
  await daemon.kill();
  return SigmaDaemon.start({ dataDir: daemon.dataDir });
}

function heldMessage(operation: string, id: number, state: string): RegExp {
  return new RegExp(`^${operation} was done: process ${id} is ${state}, but the store cannot be written \\(SQLITE_\\w+\\): the daemon holds the change in memory`);
}

describe('with the disk full (tmpfs)', () => {
  it('STOP still ends the job, answers 503 saying it is held in memory only, and the stop reaches the store once the disk has room', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const daemon = await startOn(disk);
    const { id, pid } = await startSleeper(daemon, 'sleeper');
    const filler = new DiskFiller(disk);

    const stop = await daemon.operate(id, 'STOP');
    expect(stop.status, JSON.stringify(stop.body)).toBe(503);
    expect(stop.body).toMatchObject({ statusCode: 503, code: 'SIGMA_ERR_STORE_PARTIAL', error: 'Service Unavailable' });
    expect(stop.body.message).toMatch(heldMessage('STOP', id, 'DORMANT'));
    expect(isAlive(pid), 'the job is ended all the same').toBe(false);
    expect((await daemon.process(id)).state).toBe('DORMANT');

    filler.remove();
    await waitFor('the daemon to write what it held', () => daemon.stderr, (text) => WRITTEN_AGAIN.test(text), 15_000);
    const next = await restartAfterKill(daemon);
    expect((await next.process(id)).state, 'the stop is stored').toBe('DORMANT');
  });

  it.skipIf(!NATIVE)('a daemon starts on a full disk after a crash: it adopts the job, serves, ends it with STOP, and writes what it held (daemon.json too) once the disk has room', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const first = await startOn(disk);
    const { id, pid } = await startSleeper(first, 'adopted');
    await first.kill();
    const filler = new DiskFiller(disk);

    const daemon = await startOn(disk);
    expect(daemon.stderr).toMatch(/daemon\.json cannot be written/);
    expect((await daemon.request('GET', '/health')).status).toBe(200);
    expect(await daemon.process(id)).toMatchObject({ state: 'RUNNING', pid });
    const stop = await daemon.operate(id, 'STOP');
    expect(stop.status, JSON.stringify(stop.body)).toBe(503);
    expect(stop.body.message).toMatch(heldMessage('STOP', id, 'DORMANT'));
    expect(isAlive(pid), 'the job is ended all the same').toBe(false);

    filler.remove();
    await waitFor('the daemon to write what it held', () => daemon.stderr, (text) => WRITTEN_AGAIN.test(text) && /daemon\.json is written/.test(text), 15_000);
    const next = await restartAfterKill(daemon);
    expect((await next.process(id)).state, 'the stop is stored').toBe('DORMANT');
    expect(await next.stop()).toBe(0);
  });

  it('a daemon starts on a full disk after a clean stop: it serves, starts again what was started, and stores it once the disk has room', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const first = await startOn(disk);
    const { id, pid } = await startSleeper(first, 'restarted');
    expect(await first.stop()).toBe(0);
    expect(isAlive(pid)).toBe(false);
    const filler = new DiskFiller(disk);

    const daemon = await startOn(disk);
    expect((await daemon.request('GET', '/health')).status).toBe(200);
    const running = await waitFor('its new job', () => daemon.process(id), (p) => p.state === 'RUNNING' && p.pid !== null);
    expect(isAlive(running.pid)).toBe(true);
    expect((await daemon.create({ name: 'refused', command: ['true'] })).body.code).toBe('SIGMA_ERR_STORE_UNAVAILABLE');

    filler.remove();
    await waitFor('the daemon to write what it held', () => daemon.stderr, (text) => WRITTEN_AGAIN.test(text), 15_000);
    const next = await restartAfterKill(daemon);
    // With the launcher, the next daemon adopts that very job (what it had applied of it was stored under its launcher).
    const after = await waitFor('the process again', () => next.process(id), (p) => p.state === 'RUNNING' && p.pid !== null);
    if (NATIVE) expect(after.pid).toBe(running.pid);
    expect((await next.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    expect(await next.stop()).toBe(0);
  });

  it('SUSPEND still stops the job, answers 503 saying it is held in memory only, and the suspension reaches the store once the disk has room', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const daemon = await startOn(disk);
    const { id, pid } = await startSleeper(daemon, 'napper');
    const filler = new DiskFiller(disk);

    const suspend = await daemon.operate(id, 'SUSPEND');
    expect(suspend.status, JSON.stringify(suspend.body)).toBe(503);
    expect(suspend.body.code).toBe('SIGMA_ERR_STORE_PARTIAL');
    expect(suspend.body.message).toMatch(heldMessage('SUSPEND', id, 'SUSPENDEND'));
    expect(procState(pid)).toBe('T');

    filler.remove();
    await waitFor('the daemon to write what it held', () => daemon.stderr, (text) => WRITTEN_AGAIN.test(text), 15_000);
    const next = await restartAfterKill(daemon);
    expect((await next.process(id)).state, 'the suspension is stored').toBe('SUSPENDEND');
    // Under the launcher the job outlived the killed daemon, still stopped; in-process it went with it.
    if (NATIVE) expect(procState(pid)).toBe('T');
  });
});

describe('with the disk read-only (an ext4 that a file system error made so)', () => {
  it('STOP and SUSPEND still act and answer 503 saying what only memory holds; a clean stop ends every job and exits 0', async (context) => {
    const disk = mountOrSkip(context, () => mountLoopExt4(64 * 1024 * 1024));
    const daemon = await startOn(disk);
    const stopped = await startSleeper(daemon, 'sleeper');
    const suspended = await startSleeper(daemon, 'napper');
    const bystander = await startSleeper(daemon, 'bystander');
    makeReadOnly(disk);

    const stop = await daemon.operate(stopped.id, 'STOP');
    expect(stop.status, JSON.stringify(stop.body)).toBe(503);
    expect(stop.body.code).toBe('SIGMA_ERR_STORE_PARTIAL');
    expect(stop.body.message).toMatch(heldMessage('STOP', stopped.id, 'DORMANT'));
    expect(isAlive(stopped.pid)).toBe(false);
    const suspend = await daemon.operate(suspended.id, 'SUSPEND');
    expect(suspend.status, JSON.stringify(suspend.body)).toBe(503);
    expect(suspend.body.message).toMatch(heldMessage('SUSPEND', suspended.id, 'SUSPENDEND'));
    expect(procState(suspended.pid)).toBe('T');

    expect(await daemon.stop(), `a clean stop on a read-only disk: ${daemon.stderr.slice(-2000)}`).toBe(0);
    for (const { pid } of [suspended, bystander]) expect(isAlive(pid), `job ${pid} after the stop`).toBe(false);
  });
});

describe('on a disk that fills up', () => {
  it('stores a create-and-start whole or not at all, whatever room is left', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const daemon = await startOn(disk);
    const filler = new DiskFiller(disk);
    const created: string[] = [];
    const refused: string[] = [];
    for (let pages = 0; pages <= 16; pages += 1) {
      filler.fill();
      filler.leaveFree(pages * PAGE_BYTES);
      const name = `starter-${pages}`;
      const reply = await daemon.create({ name, command: ['sleep', '300'], state: 'RUNNING' });
      const found = await daemon.request('GET', `/processes?process_name=${name}`);
      if (reply.status === 201) {
        created.push(name);
        const id = reply.body.processes[0].id as number;
        expect((await daemon.process(id)).state, `${name} answered 201`).toBe('RUNNING');
        continue;
      }
      expect(reply.body, `${name} with ${pages} pages free`).toMatchObject({ statusCode: 503, code: 'SIGMA_ERR_STORE_UNAVAILABLE' });
      expect(reply.body.message).toMatch(/nothing was changed/);
      expect(found.status, `${name} answered "nothing was changed" but exists: ${JSON.stringify(found.body)}`).toBe(404);
      refused.push(name);
    }
    expect(refused.length, 'the full disk refused some').toBeGreaterThan(0);
    expect(created.length, 'the room made let some through').toBeGreaterThan(0);

    // Each answer holds across a restart, and a refused one can be sent again.
    filler.remove();
    const next = await restartAfterKill(daemon);
    const names = (await next.request('GET', '/processes')).body.processes.map((p: { name: string }) => p.name);
    expect(names).toEqual(created);
    const retried = await next.create({ name: refused[0], command: ['sleep', '300'], state: 'RUNNING' });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    await next.process(retried.body.processes[0].id);
  });

  it('a DELETE either deletes, or changes nothing, or says that it stopped the job and kept the process', async (context) => {
    const disk = mountOrSkip(context, () => mountTmpfs(DISK_BYTES));
    const daemon = await startOn(disk);
    const sleepers = [];
    for (let index = 0; index <= 16; index += 1) sleepers.push({ ...(await startSleeper(daemon, `doomed-${index}`)), index });
    const filler = new DiskFiller(disk);
    const outcomes = new Map<number, 'deleted' | 'unchanged' | 'stopped'>();
    for (const { id, pid, index } of sleepers) {
      filler.fill();
      filler.leaveFree(index * PAGE_BYTES);
      const reply = await daemon.request('DELETE', `/processes/${id}`);
      const found = await daemon.request('GET', `/processes/${id}`);
      if (reply.status === 204) {
        expect(found.status).toBe(404);
        expect(isAlive(pid)).toBe(false);
        outcomes.set(id, 'deleted');
        continue;
      }
      expect(reply.status, JSON.stringify(reply.body)).toBe(503);
      if (reply.body.code === 'SIGMA_ERR_STORE_UNAVAILABLE') {
        expect(reply.body.message).toMatch(/nothing was changed/);
        expect(isAlive(pid), `DELETE of ${id} answered "nothing was changed" but ended its job`).toBe(true);
        expect(found.body.processes[0]).toMatchObject({ state: 'RUNNING', pid });
        outcomes.set(id, 'unchanged');
        continue;
      }
      expect(reply.body.code).toBe('SIGMA_ERR_STORE_PARTIAL');
      expect(reply.body.message).toMatch(new RegExp(`^process ${id} was stopped`));
      expect(isAlive(pid)).toBe(false);
      expect(found.body.processes[0].state).toBe('DORMANT');
      outcomes.set(id, 'stopped');
    }
    expect([...outcomes.values()], 'the full disk refused the first').toContain('unchanged');

    filler.remove();
    // A write with room again takes whatever the daemon held with it, in one transaction.
    expect((await daemon.create({ name: 'after', command: ['true'] })).status).toBe(201);
    const next = await restartAfterKill(daemon);
    for (const [id, outcome] of outcomes) {
      const reply = await next.request('GET', `/processes/${id}`);
      if (outcome === 'deleted') expect(reply.status, `deleted ${id}`).toBe(404);
      else expect(reply.body.processes[0].state, `${outcome} ${id}`).toBe(outcome === 'unchanged' ? 'RUNNING' : 'DORMANT');
    }
  });
});
