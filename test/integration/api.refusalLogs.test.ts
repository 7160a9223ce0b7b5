// A request the daemon refuses with a 4xx is the client's mistake, told to the client: it is not
// logged as an error of the daemon (a hostile client could otherwise fill the log with stacks).
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const errorLines = (daemon: SigmaDaemon): string[] => daemon.stderr.split('\n').filter((line) => /"level":(50|60)/.test(line));

describe('refused changes', () => {
  it('are not logged as errors: PATCH of a started process (409), an inconsistent PATCH (400)', async () => {
    const daemon = await SigmaDaemon.start();
    const running = await daemon.create({ name: 'running', command: ['sleep', '30'], state: 'RUNNING' });
    expect(running.status, running.text).toBe(201);
    await daemon.process(running.body.processes[0].id);
    const dormant = await daemon.create({ name: 'dormant', command: ['sleep', '30'] });
    expect(dormant.status, dormant.text).toBe(201);

    expectError(await daemon.request('PATCH', `/processes/${running.body.processes[0].id}`, { stopTimeoutMs: 10 }), 409, 'SIGMA_ERR_PROCESS_NOT_DORMANT');
    expectError(await daemon.request('PATCH', `/processes/${dormant.body.processes[0].id}`, { period: 100 }), 400, 'SIGMA_ERR_PROCESS_INVALID');
    // A request after them, so that anything they logged has reached the pipe.
    expect((await daemon.request('GET', '/health')).status).toBe(200);
    expect(await daemon.stop()).toBe(0);
    expect(errorLines(daemon)).toEqual([]);
  });
});
