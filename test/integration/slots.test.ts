// --max-running: released jobs without a slot wait in READY and run first come, first served.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

describe('--max-running', () => {
  it('keeps jobs waiting in READY and hands each freed slot to the longest waiting', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--max-running', '2'] });
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      ids.push((await daemon.create({ name, command: ['sleep', '300'] })).body.processes[0].id);
    }
    const states = async (): Promise<string[]> => (await daemon.request('GET', '/processes')).body.processes.map((p: { state: string }) => p.state);
    for (const id of ids) await daemon.operate(id, 'START');
    expect(await states()).toEqual(['RUNNING', 'RUNNING', 'READY', 'READY', 'READY']);

    await daemon.operate(ids[0] as number, 'STOP');
    await waitFor('c to take the freed slot', states, (s) => s[2] === 'RUNNING');
    expect(await states()).toEqual(['DORMANT', 'RUNNING', 'RUNNING', 'READY', 'READY']);

    // A READY process that is suspended leaves the queue; the next one is served.
    await daemon.operate(ids[3] as number, 'SUSPEND');
    await daemon.operate(ids[1] as number, 'STOP');
    await waitFor('e to take the freed slot', states, (s) => s[4] === 'RUNNING');
    expect(await states()).toEqual(['DORMANT', 'DORMANT', 'RUNNING', 'SUSPENDEND', 'RUNNING']);

    for (const id of ids) await daemon.operate(id, 'STOP');
    expect(await states()).toEqual(['DORMANT', 'DORMANT', 'DORMANT', 'DORMANT', 'DORMANT']);
  });
});
