// Definitions, ids, counters and intent survive a restart; a clean shutdown ends every job; one
// daemon per store, and a copy of a data dir is another node that leaves the original's jobs alone.
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers, startTimeOf } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

describe('across a restart with the same data dir', () => {
  it('keeps every definition, id and counter, restarts what was started, keeps suspended ones suspended', async () => {
    const first = await SigmaDaemon.start();
    const idOf = async (definition: Record<string, unknown>): Promise<number> => {
      const reply = await first.create(definition);
      expect(reply.status).toBe(201);
      return reply.body.processes[0].id;
    };
    const running = await idOf({ name: 'running', command: ['sleep', '300'], env: { GREETING: 'hi' }, cwd: '/tmp', stopTimeoutMs: 1000 });
    const periodic = await idOf({ name: 'periodic', type: 'PERIODIC', period: 200, command: ['true'] });
    const dormant = await idOf({ name: 'dormant', command: ['true'] });
    const suspended = await idOf({ name: 'suspended', command: ['sleep', '300'] });
    const deleted = await idOf({ name: 'deleted', command: ['true'] });
    await first.operate(running, 'START');
    await first.operate(periodic, 'START');
    await first.operate(suspended, 'START');
    await first.operate(suspended, 'SUSPEND');
    expect((await first.request('DELETE', `/processes/${deleted}`)).status).toBe(204);
    await waitFor('the periodic process to have run twice', () => first.process(periodic), (p) => p.runs >= 2);

    const before = (await first.request('GET', '/processes')).body.processes;
    const jobPids = before.map((p: { pid: number | null }) => p.pid).filter((pid: number | null): pid is number => pid !== null);
    expect(await first.stop()).toBe(0);
    for (const pid of jobPids) expect(liveGroupMembers(pid), `job group ${pid} after shutdown`).toEqual([]);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    const after = (await second.request('GET', '/processes')).body.processes;
    const byName = Object.fromEntries(after.map((p: { name: string }) => [p.name, p]));
    expect(after.map((p: { id: number }) => p.id)).toEqual([running, periodic, dormant, suspended]);
    for (const p of before) {
      expect(byName[p.name], p.name).toMatchObject({
        id: p.id,
        type: p.type,
        period: p.period,
        command: p.command,
        cwd: p.cwd,
        env: p.env,
        stopTimeoutMs: p.stopTimeoutMs,
        createdAt: p.createdAt,
      });
      expect(byName[p.name].failures, `${p.name} failures`).toBe(p.failures);
    }
    expect(byName.running.state).toBe('RUNNING');
    expect(byName.running.runs).toBe(2);
    expect(byName.running.pid).not.toBe(before.find((p: { name: string }) => p.name === 'running').pid);
    expect(isAlive(byName.running.pid)).toBe(true);
    expect(['RUNNING', 'WAITING', 'READY']).toContain(byName.periodic.state);
    expect(byName.periodic.runs).toBeGreaterThan(before.find((p: { name: string }) => p.name === 'periodic').runs);
    expect(byName.dormant.state).toBe('DORMANT');
    expect(byName.suspended).toMatchObject({ state: 'SUSPENDEND', pid: null, runs: 1 });

    const newer = await second.create({ name: 'newer', command: ['true'] });
    expect(newer.body.processes[0].id, 'ids are never reused, even of a deleted process').toBe(deleted + 1);
    expect(await second.stop()).toBe(0);
    expect(liveGroupMembers(byName.running.pid)).toEqual([]);
  });

  it('a ONE_SHOT job that finished is not run again at the next boot', async () => {
    const first = await SigmaDaemon.start();
    const id = (await first.create({ name: 'once', command: ['true'], state: 'RUNNING' })).body.processes[0].id;
    await waitFor('the job to finish', () => first.process(id), (p) => p.state === 'DORMANT');
    expect(await first.stop()).toBe(0);
    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    expect(await second.process(id)).toMatchObject({ state: 'DORMANT', runs: 1, lastExit: { code: 0, signal: null } });
  });

  it('refuses a second daemon on the same data dir, before it starts anything', async () => {
    const first = await SigmaDaemon.start();
    const id = (await first.create({ name: 'only-once', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id;
    const nodeId = readFileSync(join(first.dataDir, 'node-id'), 'utf8').trim();
    await expect(SigmaDaemon.start({ dataDir: first.dataDir })).rejects.toThrow(/exited 1: [^]*another sigma daemon is using this data dir/);
    const process = await first.process(id);
    // Nowhere on the machine a job or a launcher of the refused daemon: only the first one's.
    expect(markedPids(nodeId), 'the live processes marked with the node').toEqual([process.pid]);
    expect(launchersOf(nodeId), 'the launchers of the node').toEqual(first.launcherPid === null ? [] : [first.launcherPid]);
    expect(liveGroupMembers(process.pid).length, 'one job, not a second one from the refused daemon').toBe(1);
    expect((await first.request('GET', '/processes')).body.processes).toHaveLength(1);
    expect(await first.process(id)).toMatchObject({ state: 'RUNNING', pid: process.pid });
  });

  it('a copy of a running daemon\'s data dir is another node: its daemon starts jobs of its own and leaves the original\'s running', async () => {
    const original = await SigmaDaemon.start();
    const id = (await original.create({ name: 'original', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id;
    const { pid } = await original.process(id);
    const startTime = startTimeOf(pid);
    // Files only: the launcher's socket is the original's to keep.
    const copyDir = mkdtempSync(join(tmpdir(), 'sigma-test-copy-'));
    cpSync(original.dataDir, copyDir, { recursive: true, filter: (path) => !statSync(path).isSocket() });
    const copy = await SigmaDaemon.start({ dataDir: copyDir });
    const copied = await waitFor('the copy to start the job anew', () => copy.process(id), (p) => p?.state === 'RUNNING');
    expect(copied.pid, 'a job of its own').not.toBe(pid);
    expect(startTimeOf(pid), 'the original\'s job, after the copy started').toBe(startTime);
    expect(readFileSync(join(copyDir, 'node-id'), 'utf8').trim(), 'another node').not.toBe(readFileSync(join(original.dataDir, 'node-id'), 'utf8').trim());
    expect(await copy.stop()).toBe(0);
    expect(isAlive(copied.pid), 'the copy\'s job after its daemon stopped').toBe(false);
    expect(startTimeOf(pid), 'the original\'s job, after the copy started and stopped').toBe(startTime);
    expect(await original.process(id)).toMatchObject({ state: 'RUNNING', pid });
  });
});

/** The live processes carrying the node's mark in their environment. */
function markedPids(nodeId: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`SIGMA_NODE_ID=${nodeId}`) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

/** The live launchers started for the node (its id is on their command line). */
function launchersOf(nodeId: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
        const at = argv.indexOf('--node-id');
        return at >= 0 && argv[at + 1] === nodeId && isAlive(pid);
      } catch {
        return false;
      }
    });
}
