// A process's `nice`: its jobs (and what they fork) run at that priority, as /proc shows, on the
// native launcher and on the in-process host; a value out of range is a 400 that changes nothing.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

/** Field 19 of /proc/<pid>/stat (the fields after the command name start at field 3). */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function childrenOf(pid: number): number[] {
  const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return tasks === '' ? [] : tasks.split(/\s+/).map(Number);
}

const hosts = NATIVE ? (['native', 'in-process'] as const) : (['in-process'] as const);

describe('nice', () => {
  for (const host of hosts) {
    it(`runs the job and its children at the priority asked (${host})`, async () => {
      const daemon = await SigmaDaemon.start(host === 'in-process' ? { args: ['--launcher', 'in-process'] } : {});
      const reply = await daemon.create({ name: 'gentle', command: ['sh', '-c', 'sleep 300 & wait'], nice: 10, state: 'RUNNING' });
      expect(reply.status, reply.text).toBe(201);
      const { id, pid, nice } = reply.body.processes[0];
      expect(nice).toBe(10);
      expect(niceOf(pid)).toBe(10);
      const [child] = await waitFor('the job to fork its sleep', () => childrenOf(pid), (children) => children.length === 1);
      // In-process, the priority is set just after the spawn: what the job forks at once may keep the daemon's.
      if (host === 'native') expect(niceOf(child!)).toBe(10);
      const plain = (await daemon.create({ name: 'plain', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
      expect(plain.nice).toBeNull();
      expect(niceOf(plain.pid)).toBe(niceOf(daemon.pid));
      await daemon.operate(id, 'STOP');
      await daemon.operate(plain.id, 'STOP');
    });
  }

  it('takes a change by PATCH and null back; refuses a value out of range, changing nothing', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'n', command: ['true'], nice: 3 })).body.processes[0].id;
    expect((await daemon.request('PATCH', `/processes/${id}`, { nice: 7 })).body.processes[0].nice).toBe(7);
    expect((await daemon.request('PATCH', `/processes/${id}`, { command: ['false'] })).body.processes[0].nice).toBe(7);
    expect((await daemon.request('PATCH', `/processes/${id}`, { nice: null })).body.processes[0].nice).toBeNull();
    expectError(await daemon.request('PATCH', `/processes/${id}`, { nice: 20 }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.create({ name: 'm', command: ['true'], nice: -21 }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.create({ name: 'm', command: ['true'], nice: 1.5 }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expect((await daemon.process(id)).nice).toBeNull();
    expect((await daemon.request('GET', '/processes')).body.processes).toHaveLength(1);
  });
});
