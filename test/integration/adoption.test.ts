// Jobs outlive their daemon: with the native launcher, a daemon killed outright (or replaced with
// --replace) leaves every job running under the launcher, which goes on releasing PERIODIC jobs
// and writing output; the next daemon adopts them all, and learns what happened meanwhile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, liveGroupMembers, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, FIXTURES_DIR, NATIVE, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

const TICK_MS = 100;
const logOf = (daemon: SigmaDaemon, id: number): string => readFileSync(join(daemon.dataDir, 'logs', `${id}.stdout.log`), 'utf8');

async function created(daemon: SigmaDaemon, definition: Record<string, unknown>): Promise<{ id: number; pid: number | null }> {
  const reply = await daemon.create({ state: 'RUNNING', ...definition });
  expect(reply.status, reply.text).toBe(201);
  const process = reply.body.processes[0];
  if (process.pid) trackJobGroup(process.pid);
  return { id: process.id, pid: process.pid };
}

describe.skipIf(!NATIVE)('a daemon killed outright, its launcher alive', () => {
  it('leaves every job running and releasing; the next daemon adopts them, with the output and the ends of the time between', async () => {
    const first = await SigmaDaemon.start();
    const long = await created(first, { name: 'long', command: ['sh', '-c', 'echo before; sleep 1; echo meanwhile; exec sleep 300'] });
    const brief = await created(first, { name: 'brief', command: ['sh', '-c', 'echo start; sleep 1; echo end; exit 3'] });
    const ticks = await created(first, { name: 'ticks', type: 'PERIODIC', period: TICK_MS, command: ['sh', '-c', 'echo tick $SIGMA_RELEASE_AT_MS'] });
    await waitFor('a few ticks', () => first.process(ticks.id), (p) => p.runs >= 3);
    const before = await first.process(ticks.id);
    await first.kill();
    const downFrom = performance.now();
    await sleep(1500);
    expect(isAlive(long.pid as number), 'the long job, while no daemon runs').toBe(true);
    expect(procState(brief.pid as number), 'the brief job ended while no daemon ran').toBeNull();

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    const downMs = performance.now() - downFrom;
    expect(second.launcherPid, 'the same launcher').toBe(first.launcherPid);
    expect(await second.process(long.id)).toMatchObject({ state: 'RUNNING', pid: long.pid });
    expect(logOf(second, long.id)).toBe('before\nmeanwhile\n');

    const briefNow = await second.process(brief.id);
    expect(briefNow).toMatchObject({ state: 'DORMANT', pid: null, failures: 1, lastExit: { code: 3, signal: null, error: null } });
    expect(briefNow.lastExit.durationMs).toBeGreaterThanOrEqual(900);
    const [briefRun] = (await second.request('GET', `/processes/${brief.id}/runs?limit=1`)).body.runs;
    expect(briefRun).toMatchObject({ pid: brief.pid, exitCode: 3, signal: null, endedBySigma: false, error: null });
    expect(logOf(second, brief.id)).toBe('start\nend\n');

    // Released on the same grid all along: the runs of the time without a daemon, none skipped.
    const ticksNow = await waitFor('the ticks adopted', () => second.process(ticks.id), (p) => p.runs > before.runs);
    expect(ticksNow.skipped, 'no release missed').toBe(0);
    expect(ticksNow.runs - before.runs).toBeGreaterThanOrEqual(Math.floor((downMs / TICK_MS) * 0.7));
    const stamps = logOf(second, ticks.id).trim().split('\n').map((line) => Number(line.split(' ')[1]));
    const gaps = stamps.slice(1).map((stamp, index) => Math.round((stamp - (stamps[index] as number)) / TICK_MS));
    expect(gaps.every((gap) => gap === 1), `release points one period apart: ${gaps.join(',')}`).toBe(true);

    expect((await second.operate(long.id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(liveGroupMembers(long.pid as number)).toEqual([]);
    expect(await second.stop()).toBe(0);
  });

  it('keeps a SUSPENDEND job stopped; after adoption RESUME continues it and STOP ends its whole tree', async () => {
    const first = await SigmaDaemon.start();
    const tree = await created(first, { name: 'tree', command: [join(FIXTURES_DIR, 'tree.sh')] });
    const members = (await waitFor('the tree', () => liveGroupMembers(tree.pid as number), (found) => found.length === 3)).map((member) => member.pid);
    expect((await first.operate(tree.id, 'SUSPEND')).body.processes[0]).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    await first.kill();
    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    expect(await second.process(tree.id)).toMatchObject({ state: 'SUSPENDEND', pid: tree.pid });
    for (const pid of members) expect(procState(pid), `member ${pid} after the restart`).toBe('T');
    expect((await second.operate(tree.id, 'RESUME')).body.processes[0]).toMatchObject({ result: 'OK', state: 'RUNNING' });
    for (const pid of members) expect(procState(pid), `member ${pid} after RESUME`).not.toBe('T');
    expect((await second.operate(tree.id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    for (const pid of members) expect(isAlive(pid), `member ${pid} after STOP`).toBe(false);
    expect(await second.stop()).toBe(0);
  });

  it('puts each adopted job in the state recorded, when it shows another (a daemon that died between a signal and its record)', async () => {
    const first = await SigmaDaemon.start();
    const running = await created(first, { name: 'running', command: ['sleep', '300'] });
    const suspended = await created(first, { name: 'suspended', command: ['sleep', '300'] });
    const untouched = await created(first, { name: 'untouched', command: ['sleep', '300'] });
    expect((await first.operate(suspended.id, 'SUSPEND')).body.processes[0]).toMatchObject({ result: 'OK', state: 'SUSPENDEND' });
    await first.kill();
    // What a SUSPEND of `running` and a RESUME of `suspended` would have done, had the daemon died before recording them.
    process.kill(-(running.pid as number), 'SIGSTOP');
    process.kill(-(suspended.pid as number), 'SIGCONT');
    await waitFor('the signals', () => [procState(running.pid as number), procState(suspended.pid as number)], ([stopped, continued]) => stopped === 'T' && continued !== 'T');
    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    expect(await second.process(running.id)).toMatchObject({ state: 'RUNNING', pid: running.pid });
    expect(await second.process(suspended.id)).toMatchObject({ state: 'SUSPENDEND', pid: suspended.pid });
    await waitFor('the running job continued', () => procState(running.pid as number), (state) => state !== 'T');
    await waitFor('the suspended job stopped again', () => procState(suspended.pid as number), (state) => state === 'T');
    expect(procState(untouched.pid as number)).not.toBe('T');
    for (const { id } of [running, suspended, untouched]) expect((await second.operate(id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(await second.stop()).toBe(0);
  });

  it('ends, at the next start, what was left when the launcher died under a running daemon (which stops, exit 1)', async () => {
    const first = await SigmaDaemon.start();
    const long = await created(first, { name: 'orphan', command: ['sleep', '300'] });
    process.kill(first.launcherPid as number, 'SIGKILL');
    first.expectedExit = true;
    expect(await first.waitExit()).toBe(1);
    expect(first.stderr).toMatch(/the launcher \(pid \d+\) is gone/);
    expect(isAlive(long.pid as number), 'the job, without its launcher').toBe(true);

    const second = await SigmaDaemon.start({ dataDir: first.dataDir });
    expect(second.launcherPid).not.toBe(first.launcherPid);
    // Ended while the next daemon serves, then started again, as after any restart, under the new launcher.
    await waitFor('the orphaned job to be ended', () => isAlive(long.pid as number), (alive) => !alive);
    const now = await waitFor('the process to run again', () => second.process(long.id), (p) => p.state === 'RUNNING' && p.pid !== long.pid);
    expect(isAlive(now.pid)).toBe(true);
    const [run] = (await second.request('GET', `/processes/${long.id}/runs?limit=1`)).body.runs;
    expect(run).toMatchObject({ pid: long.pid, endedBySigma: true });
    expect(run.error).toMatch(/left running by a daemon/);
    expect(await second.stop()).toBe(0);
  });
});

describe.skipIf(!NATIVE)('sigma serve --replace', () => {
  it('hands every job to the new daemon: none ends, releases go on, the old daemon exits 0', async () => {
    const first = await SigmaDaemon.start();
    const long = await created(first, { name: 'long', command: ['sleep', '300'] });
    const ticks = await created(first, { name: 'ticks', type: 'PERIODIC', period: TICK_MS, command: ['true'] });
    await waitFor('a few ticks', () => first.process(ticks.id), (p) => p.runs >= 3);
    const before = await first.process(ticks.id);
    const second = await SigmaDaemon.start({ dataDir: first.dataDir, args: ['--replace'] });
    first.expectedExit = true;
    expect(await first.waitExit(), 'the replaced daemon').toBe(0);
    expect(first.stderr).toMatch(/handed over to a new daemon/);
    expect(second.launcherPid).toBe(first.launcherPid);
    expect(await second.process(long.id)).toMatchObject({ state: 'RUNNING', pid: long.pid });
    await sleep(3 * TICK_MS);
    const ticksNow = await second.process(ticks.id);
    expect(ticksNow.runs).toBeGreaterThan(before.runs);
    expect(ticksNow.skipped, 'no release missed across the handover').toBe(0);
    expect(await second.stop()).toBe(0);
    expect(isAlive(long.pid as number)).toBe(false);
  });

  it('refuses to replace a daemon that runs its jobs in its own process', async () => {
    const first = await SigmaDaemon.start({ args: ['--launcher', 'in-process'] });
    const refused = await SigmaDaemon.start({ dataDir: first.dataDir, args: ['--replace'] }).catch((error: Error) => error);
    expect(String(refused)).toMatch(/cannot hand them over|--replace needs the native launcher/);
    expect((await first.request('GET', '/health')).status, 'the running daemon is untouched').toBe(200);
  });
});
