// A job recorded by a daemon that died is ended at the next boot only if the live process at its
// pid is the same one (same start time) and the node's (its mark): a stranger that reuses the pid
// is never signalled. Here the strangers are planted at the recorded pids, in the store itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { isAlive, killGroup, startTimeOf } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

const strangers: ChildProcess[] = [];
afterEach(async () => {
  for (const stranger of strangers.splice(0)) if (stranger.pid !== undefined) killGroup(stranger.pid);
  await cleanUpDaemons();
});

/** A process that is no job of sigma's, in a group of its own, with the environment given. */
function plantStranger(env: Record<string, string>): { pid: number; startTicks: number } {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  strangers.push(child);
  const pid = child.pid as number;
  return { pid, startTicks: Number(startTimeOf(pid)) };
}

it('never signals a live process at a recorded pid that is not the recorded job: another start time, or no mark of the node', async () => {
  const first = await SigmaDaemon.start();
  const create = async (name: string): Promise<number> => (await first.create({ name, command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0].id;
  const timed = await create('timed');
  const unmarked = await create('unmarked');
  const jobs = [(await first.process(timed)).pid as number, (await first.process(unmarked)).pid as number];
  const nodeId = readFileSync(join(first.dataDir, 'node-id'), 'utf8').trim();
  await first.killOutright();
  // The recorded jobs end while no daemon watches; strangers come to the recorded pids.
  for (const pid of jobs) killGroup(pid);
  await waitFor('the recorded jobs to end', () => jobs.filter(isAlive), (alive) => alive.length === 0);
  // Carries the node's mark (but belongs to no process of it), started at another time than the job.
  const laterStart = plantStranger({ SIGMA_NODE_ID: nodeId });
  // Started when the store says, but without the node's mark.
  const noMark = plantStranger({});
  const db = new Database(join(first.dataDir, 'sigma.db'));
  try {
    db.prepare('UPDATE processes SET job_pid = ? WHERE id = ?').run(laterStart.pid, timed);
    db.prepare('UPDATE processes SET job_pid = ?, job_start_ticks = ? WHERE id = ?').run(noMark.pid, noMark.startTicks, unmarked);
  } finally {
    db.close();
  }

  const second = await SigmaDaemon.start({ dataDir: first.dataDir });
  for (const [id, stranger] of [[timed, laterStart], [unmarked, noMark]] as const) {
    const process = await waitFor(`process ${id} to run a job of its own`, () => second.process(id), (p) => p.state === 'RUNNING');
    expect(process.pid, 'a new job, not the stranger').not.toBe(stranger.pid);
    expect(process.lastExit?.error, 'the recorded job ended unseen').toMatch(/ended while no daemon was watching/);
    expect(startTimeOf(stranger.pid), `the stranger at pid ${stranger.pid} after the boot`).toBe(String(stranger.startTicks));
  }
  expect(await second.stop()).toBe(0);
  for (const stranger of [laterStart, noMark]) expect(startTimeOf(stranger.pid), `the stranger at pid ${stranger.pid} after the shutdown`).toBe(String(stranger.startTicks));
});
