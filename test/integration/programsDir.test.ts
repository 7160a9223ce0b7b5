// A process created without a command runs the executable of its name in the programs
// directory, and nothing outside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);
afterEach(removeTempDirs);

function programsDirWith(programs: Record<string, string>): string {
  const dir = makeTempDir('sigma-programs-');
  for (const [name, script] of Object.entries(programs)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe('the programs directory', () => {
  it('runs the executable named after the process when no command is sent, as a contract-only client would', async () => {
    const programs = programsDirWith({ fibonacci: 'echo "fib ran"' });
    const daemon = await SigmaDaemon.start({ args: ['--programs-dir', programs] });
    const created = await daemon.create({ name: 'fibonacci', type: 'ONE_SHOT', state: 'RUNNING' });
    expect(created.status).toBe(201);
    const process = created.body.processes[0];
    expect(process.command).toEqual([join(programs, 'fibonacci')]);
    await waitFor('fibonacci to finish', () => daemon.process(process.id), (p) => p.state === 'DORMANT');
    expect(await daemon.process(process.id)).toMatchObject({ runs: 1, lastExit: { code: 0 } });
  });

  it('refuses, and creates nothing, when there is no such program or it points outside', async () => {
    const programs = programsDirWith({ 'not-executable': 'true' });
    chmodSync(join(programs, 'not-executable'), 0o644);
    symlinkSync('/bin/true', join(programs, 'escape'));
    mkdirSync(join(programs, 'a-directory'));
    const daemon = await SigmaDaemon.start({ args: ['--programs-dir', programs] });
    for (const name of ['missing', 'escape', 'not-executable', 'a-directory']) {
      const reply = await daemon.create({ name });
      expect(reply.status, name).toBe(400);
      expect(reply.body.code, name).toBe('SIGMA_ERR_PROGRAM_NOT_FOUND');
    }
    for (const name of ['..', '.', '../../bin/true', 'a/b']) {
      const reply = await daemon.create({ name });
      expect(reply.status, name).toBe(400);
    }
    expect((await daemon.request('GET', '/processes')).body.processes).toEqual([]);
  });

  it('checks again at every start: a program replaced by a link to the outside is not run', async () => {
    const programs = programsDirWith({ swapped: 'true' });
    const daemon = await SigmaDaemon.start({ args: ['--programs-dir', programs] });
    const id = (await daemon.create({ name: 'swapped' })).body.processes[0].id;
    rmSync(join(programs, 'swapped'));
    symlinkSync('/bin/true', join(programs, 'swapped'));
    const reply = await daemon.operate(id, 'START');
    expect(reply.body.processes[0]).toMatchObject({ state: 'DORMANT', result: 'FAILED' });
    expect(reply.body.processes[0].reason).toMatch(/outside/);
    expect(await daemon.process(id)).toMatchObject({ runs: 0, failures: 1 });
  });
});

describe('the programs directory, raced', () => {
  it('never runs a file outside it while a link is swapped in and out under repeated STARTs', async () => {
    const programs = programsDirWith({});
    const outside = makeTempDir('sigma-outside-');
    const marker = join(outside, 'ran-outside');
    writeFileSync(join(outside, 'evil'), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(outside, 'evil'), 0o755);
    writeFileSync(join(programs, 'racer.inside'), '#!/bin/sh\ntrue\n');
    chmodSync(join(programs, 'racer.inside'), 0o755);
    symlinkSync('racer.inside', join(programs, 'racer'));
    const daemon = await SigmaDaemon.start({ args: ['--programs-dir', programs] });
    const id = (await daemon.create({ name: 'racer' })).body.processes[0].id;
    // A swapper in another process: the link points inside, then outside, then inside..., each
    // change one atomic rename.
    const swapper = spawnSwapper(programs, join(outside, 'evil'));
    let started = 0;
    let refused = 0;
    try {
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const answer = (await daemon.operate(id, 'START')).body.processes[0];
        if (answer.result === 'OK') started += 1;
        else refused += 1;
        await waitFor('the job to end', () => daemon.process(id), (p) => p.state === 'DORMANT');
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    expect(existsSync(marker), `a file outside ran (${started} started, ${refused} refused)`).toBe(false);
    expect(started, 'some STARTs found the program inside').toBeGreaterThan(0);
    expect(refused, 'some STARTs found the link pointing outside').toBeGreaterThan(0);
  });
});

function spawnSwapper(programs: string, outsideTarget: string): ChildProcess {
  const script = `
    const { symlinkSync, renameSync } = require('node:fs');
    const dir = ${JSON.stringify(programs)};
    let inside = false;
    setInterval(() => {
      inside = !inside;
      const temporary = dir + '/.racer.' + process.pid;
      symlinkSync(inside ? 'racer.inside' : ${JSON.stringify(outsideTarget)}, temporary);
      renameSync(temporary, dir + '/racer');
    }, 2);`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}
