// A job is its whole process group: STOP, DELETE and the daemon's shutdown end every member of
// it, grandchildren included, and a job that ignores SIGTERM is killed after its grace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, FIXTURES_DIR } from '../support/sigmaDaemon.js';
import { Bench, procTable } from '../support/stateBench.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const TREE = { command: [join(FIXTURES_DIR, 'tree.sh')] };
const IGNORE_TERM = { command: [join(FIXTURES_DIR, 'ignore-term.sh')], stopTimeoutMs: 300 };

/** Starts a process and waits until its group has `size` live members; returns their pids. */
async function startGroup(bench: Bench, id: number, size: number): Promise<{ pid: number; members: number[] }> {
  const pid = await bench.startRunning(id);
  const live = await waitFor(`job ${pid} of process ${id} to have ${size} live processes in its group`, () => liveGroupMembers(pid), (found) => found.length === size);
  const members = live.map((member) => member.pid);
  expect(members).toContain(pid);
  return { pid, members };
}

function expectAllGone(pids: number[]): void {
  for (const pid of pids) expect(isAlive(pid), `pid ${pid} (state ${procState(pid)})`).toBe(false);
}

describe('process tree', () => {
  it.each(['RUNNING', 'SUSPENDEND'])('STOP of tree.sh from %s kills the grandchildren too, before the answer', async (from) => {
    const bench = await Bench.start();
    const id = await bench.create(TREE);
    const { pid, members } = await startGroup(bench, id, 3);
    if (from === 'SUSPENDEND') {
      expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
      for (const member of members) expect(procState(member), `member ${member} stopped`).toBe('T');
    }
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    expectAllGone(members);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, failures: 0 });
    expect(process.lastExit.signal).toBe('SIGTERM');
    await bench.finish();
  });

  it('STOP waits for a grandchild that outlives the leader: the answer comes only once the whole group is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-slow-child-'));
    try {
      // The leader dies of SIGTERM at once; its child traps SIGTERM and needs 0.4 s more to finish.
      const child = join(dir, 'child.sh');
      writeFileSync(child, "#!/bin/sh\ntrap 'sleep 0.4; exit 0' TERM\nsleep 300 &\nwait\n", { mode: 0o755 });
      const leader = join(dir, 'leader.sh');
      writeFileSync(leader, `#!/bin/sh\n${child} &\nwait\n`, { mode: 0o755 });
      const bench = await Bench.start();
      const id = await bench.create({ command: [leader] });
      const { pid, members } = await startGroup(bench, id, 3);
      expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
      expect(liveGroupMembers(pid)).toEqual([]);
      expectAllGone(members);
      expect((await bench.get(id)).lastExit.signal).toBe('SIGTERM');
      await bench.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('job exits on its own leaving a grandchild that ignores SIGTERM (stopTimeoutMs 300): the grandchild is killed too, then → DORMANT with the leader\'s exit', async () => {
    const bench = await Bench.start();
    const id = await bench.create({ command: ['sh', '-c', "trap '' TERM; sleep 300 & sleep 0.5; exit 3"], stopTimeoutMs: 300 });
    // sh, the background sleep 300 and the foreground sleep 0.5.
    const { pid, members } = await startGroup(bench, id, 3);
    const ended = await bench.waitState(id, 'DORMANT');
    expect(liveGroupMembers(pid)).toEqual([]);
    expectAllGone(members);
    expect(ended).toMatchObject({ pid: null, runs: 1, failures: 1 });
    expect(ended.lastExit).toMatchObject({ code: 3, signal: null, error: null });
    await bench.finish();
  });

  it('SUSPEND of tree.sh stops every member of the group (T), RESUME continues every one', async () => {
    const bench = await Bench.start();
    const id = await bench.create(TREE);
    const { members } = await startGroup(bench, id, 3);
    expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    // The answer waits for the leader only; the rest of the group follows the same group signal.
    await waitFor('every member to be stopped', () => members.map(procState), (states) => states.every((state) => state === 'T'), 2000);
    expect(await bench.op(id, 'RESUME')).toMatchObject({ result: 'OK', state: 'RUNNING' });
    await waitFor('every member to be continued', () => members.map(procState), (states) => states.every((state) => state !== 'T' && state !== null), 2000);
    await bench.finish();
    expectAllGone(members);
  });

  it.each(['RUNNING', 'SUSPENDEND'])('STOP of ignore-term.sh (stopTimeoutMs 300) from %s: SIGKILLed after its grace, group gone at the answer', async (from) => {
    const bench = await Bench.start();
    const id = await bench.create(IGNORE_TERM);
    const { pid, members } = await startGroup(bench, id, 2);
    if (from === 'SUSPENDEND') expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect(await bench.op(id, 'STOP')).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(pid)).toEqual([]);
    expectAllGone(members);
    const process = await bench.get(id);
    expect(process).toMatchObject({ state: 'DORMANT', pid: null, failures: 0 });
    expect(process.lastExit).toMatchObject({ code: null, signal: 'SIGKILL', error: null });
    await bench.finish();
  });

  it.each(['RUNNING', 'SUSPENDEND'])('DELETE of a live process (%s) → 204, and its whole group is gone at the answer', async (from) => {
    const bench = await Bench.start();
    const id = await bench.create(TREE);
    const { pid, members } = await startGroup(bench, id, 3);
    if (from === 'SUSPENDEND') expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    const deleted = await bench.daemon.request('DELETE', `/processes/${id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    expect(liveGroupMembers(pid)).toEqual([]);
    expectAllGone(members);
    expect((await bench.daemon.request('GET', `/processes/${id}`)).status).toBe(404);
    await bench.finish();
  });

  it('SIGTERM to the daemon: it exits 0 and every job of every process is gone', async () => {
    const before = new Set(procTable().map((entry) => entry.pid));
    const bench = await Bench.start();
    const tree = await bench.create(TREE);
    const stubborn = await bench.create(IGNORE_TERM);
    const suspended = await bench.create({ command: ['sleep', '300'] });
    const periodicLong = await bench.create({ type: 'PERIODIC', period: 100, command: ['sleep', '300'] });
    const periodicShort = await bench.create({ type: 'PERIODIC', period: 50, command: ['true'] });
    const groups: number[] = [];
    const members: number[] = [];
    for (const [id, size] of [[tree, 3], [stubborn, 2], [suspended, 1], [periodicLong, 1]] as const) {
      const started = await startGroup(bench, id, size);
      groups.push(started.pid);
      members.push(...started.members);
    }
    expect(await bench.op(suspended, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    expect((await bench.op(periodicShort, 'START')).result).toBe('OK');
    await bench.waitFor(periodicShort, 'to have run twice', (p) => p.runs >= 2);

    const nodeMark = `SIGMA_NODE_ID=${readFileSync(join(bench.daemon.dataDir, 'node-id'), 'utf8').trim()}`;
    expect(environOf(members[0] as number), 'a job carries the mark the check looks for').toContain(nodeMark);
    expect(await bench.daemon.stop()).toBe(0);
    for (const pgid of groups) expect(liveGroupMembers(pgid), `group ${pgid}`).toEqual([]);
    expectAllGone(members);
    // Nothing of this daemon's outlived it either (a job released during the shutdown included):
    // found by the node's mark, which every job and its children carry (not another program's).
    const leftovers = procTable().filter(
      (entry) =>
        !before.has(entry.pid) &&
        entry.state !== 'Z' &&
        entry.state !== 'X' &&
        ['sleep', 'sh', 'true', 'tree.sh', 'ignore-term.sh'].includes(entry.comm) &&
        environOf(entry.pid).includes(nodeMark),
    );
    expect(leftovers.map((entry) => `${entry.pid} ${entry.comm} (parent ${entry.ppid})`)).toEqual([]);
  });

  it('SIGTERM to the daemon with --max-running: a held READY job (stopped), a queued READY process and a suspended job are all ended too', async () => {
    const bench = await Bench.start(['--max-running', '2']);
    const suspended = await bench.create({ command: ['sleep', '300'] });
    const held = await bench.create(TREE);
    const filler = await bench.create(TREE);
    const stubborn = await bench.create(IGNORE_TERM);
    const queued = await bench.create({ type: 'PERIODIC', period: 50, command: ['true'] });
    const groups: number[] = [];
    const members: number[] = [];
    for (const [id, size] of [[suspended, 1], [held, 3]] as const) {
      const started = await startGroup(bench, id, size);
      groups.push(started.pid);
      members.push(...started.members);
      expect(await bench.op(id, 'SUSPEND')).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    }
    for (const [id, size] of [[filler, 3], [stubborn, 2]] as const) {
      const started = await startGroup(bench, id, size);
      groups.push(started.pid);
      members.push(...started.members);
    }
    expect(await bench.op(held, 'RESUME')).toMatchObject({ result: 'OK', state: 'READY' });
    expect(procState(groups[1] as number)).toBe('T');
    expect(await bench.op(queued, 'START')).toMatchObject({ result: 'OK', state: 'READY' });

    expect(await bench.daemon.stop()).toBe(0);
    for (const pgid of groups) expect(liveGroupMembers(pgid), `group ${pgid}`).toEqual([]);
    expectAllGone(members);
  });
});

/** The process's environment, one entry per element; empty once it is gone. */
function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
