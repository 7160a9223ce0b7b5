import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

describe('smoke', () => {
  it('creates, starts, suspends, resumes and stops a real sleep', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'nap', command: ['sleep', '300'] });
    expect(created.status).toBe(201);
    const id = created.body.processes[0].id;
    expect((await daemon.operate(id, 'START')).body.processes[0]).toMatchObject({ state: 'RUNNING', result: 'OK' });
    const { pid } = await daemon.process(id);
    expect(isAlive(pid)).toBe(true);
    await daemon.operate(id, 'SUSPEND');
    expect(procState(pid)).toBe('T');
    await daemon.operate(id, 'RESUME');
    expect(procState(pid)).not.toBe('T');
    await daemon.operate(id, 'STOP');
    expect(procState(pid), 'STOP answers once the job is gone and reaped').toBeNull();
    expect(await daemon.stop()).toBe(0);
  });
});
