// What the daemon acknowledged survives a power cut, not only a crash of the daemon (a SIGKILL
// leaves the page cache, so it cannot tell a synced write from one that is not): the daemon's
// data dir is on a file system whose disk is cut as a power loss would leave it (powerCutDisk.ts).
// Where no loop device can be made (not root, no loop driver), the test is skipped saying why.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, type TestContext } from 'vitest';
import { isAlive, killGroup } from '../support/osProcesses.js';
import { PowerCutDisk } from '../support/powerCutDisk.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

let disk: PowerCutDisk | null = null;
afterEach(async () => {
  // The daemons first: they hold files on the disk.
  await cleanUpDaemons();
  disk?.remove();
  disk = null;
});

it('keeps an acknowledged create and an acknowledged START across a power cut', async (context) => {
  const cutDisk = makeDisk(context);
  const dataDir = join(cutDisk.mountPoint, 'data');
  mkdirSync(dataDir);

  // A create is written with synchronous = FULL: on the disk before its 201.
  const first = await SigmaDaemon.start({ dataDir });
  const created = await first.create({ name: 'kept', command: ['sleep', '300'] });
  expect(created.status).toBe(201);
  const id = created.body.processes[0].id as number;
  await first.killOutright();
  cutDisk.cut();
  const second = await SigmaDaemon.start({ dataDir });
  expect(await second.process(id), 'the acknowledged create, after the power cut').toMatchObject({ name: 'kept', command: ['sleep', '300'], state: 'DORMANT' });

  // An operation's intent is synced (the WAL, off the event loop) before its answer.
  expect((await second.operate(id, 'START')).body.processes[0]).toMatchObject({ result: 'OK', state: 'RUNNING' });
  const { pid } = await second.process(id);
  await second.killOutright();
  killGroup(pid);
  await waitFor('the job to be gone before the power goes', () => isAlive(pid), (alive) => !alive);
  cutDisk.cut();
  const third = await SigmaDaemon.start({ dataDir });
  const after = await waitFor('the started process to run again', () => third.process(id), (p) => p.state === 'RUNNING');
  expect(after.pid).not.toBe(pid);
  expect(await third.stop()).toBe(0);
}, 60_000);

/** The disk of this test, or the test is skipped (failed under SIGMA_REQUIRE_LOOP_DEVICE=1) saying why. */
function makeDisk(context: TestContext): PowerCutDisk {
  try {
    disk = PowerCutDisk.make();
    return disk;
  } catch (error) {
    return skipOrFail(context, 'loopDevice', `no loop device with an ext4 file system can be made here (${String(error).split('\n')[0]})`);
  }
}
