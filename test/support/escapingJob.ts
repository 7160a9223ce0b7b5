// A job whose grandchild leaves both its process group and its mark, for the tests of what
// reaches such a process (cgroups).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { isAlive } from './osProcesses.js';
import { trackStray } from './strayProcesses.js';
import { trackJobGroup, type SigmaDaemon } from './sigmaDaemon.js';
import { waitFor } from './waitFor.js';

/**
 * A job whose grandchild escapes both ways: a session and group of its own (setsid, then its
 * parent exits: a double fork) and an empty environment (env -i), so no mark is left on it. The
 * job prints the grandchild's pid, then becomes `sleep 300` itself.
 */
const ESCAPING_JOB = ['sh', '-c', 'setsid env -i sh -c \'sleep 300 & echo $!\'; exec sleep 300'];

export async function startEscaper(daemon: SigmaDaemon, name: string, partition = 'default'): Promise<{ id: number; leader: number; stray: number }> {
  const created = await daemon.create({ name, partition, command: ESCAPING_JOB, state: 'RUNNING' });
  expect(created.status).toBe(201);
  const id = created.body.processes[0].id as number;
  const leader = (await daemon.process(id)).pid as number;
  trackJobGroup(leader);
  const log = await waitFor('the grandchild\'s pid in the log', async () => (await daemon.request('GET', `/processes/${id}/logs`)).text, (text) => /^\d+\n/.test(text));
  const stray = Number(log.trim().split('\n')[0]);
  trackStray(stray);
  await waitFor(`grandchild ${stray} to be alive`, () => isAlive(stray), (alive) => alive);
  // The fixture really escapes: another process group, and no environment to carry a mark.
  expect(processGroupOf(stray)).not.toBe(leader);
  expect(readFileSync(`/proc/${stray}/environ`, 'latin1')).not.toContain('SIGMA_');
  return { id, leader, stray };
}

export function processGroupOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]);
}
