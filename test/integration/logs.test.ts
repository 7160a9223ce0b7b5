// A job's stdout and stderr land in its process's log files, capped by rotation.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStream, parseEvents } from '../support/openStream.js';
import { isAlive } from '../support/osProcesses.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

describe('job logs', () => {
  it('writes stdout and stderr to <data-dir>/logs/<id>.{stdout,stderr}.log, with env and cwd applied', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({
      name: 'talker',
      command: ['sh', '-c', 'echo "out $GREETING from $(pwd)"; echo "err line" >&2'],
      env: { GREETING: 'hello' },
      cwd: '/tmp',
      state: 'RUNNING',
    });
    const id = created.body.processes[0].id;
    await waitFor('talker to finish', () => daemon.process(id), (p) => p.state === 'DORMANT');
    const logs = join(daemon.dataDir, 'logs');
    await waitFor('both log lines', () => readFileSync(join(logs, `${id}.stderr.log`), 'utf8'), (text) => text === 'err line\n');
    expect(readFileSync(join(logs, `${id}.stdout.log`), 'utf8')).toBe('out hello from /tmp\n');
  });

  it('keeps a chatty job within --log-max-bytes per file, the newest output last', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--log-max-bytes', '65536'] });
    // About 390 KB of numbered lines.
    const created = await daemon.create({ name: 'chatty', command: ['seq', '1', '60000'], state: 'RUNNING' });
    const id = created.body.processes[0].id;
    await waitFor('chatty to finish', () => daemon.process(id), (p) => p.state === 'DORMANT');
    const path = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
    await waitFor('the last line in the log', () => (existsSync(path) ? readFileSync(path, 'utf8') : ''), (text) => text.endsWith('\n60000\n'));
    expect(statSync(path).size).toBeLessThanOrEqual(65536);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(65536);
    const rotated = readFileSync(`${path}.1`, 'utf8');
    const current = readFileSync(path, 'utf8');
    expect(rotated.endsWith('\n'), 'a rotation falls between two lines').toBe(true);
    const lines = `${rotated}${current}`.trimEnd().split('\n').map(Number);
    expect(lines.every((n, i) => i === 0 || n === (lines[i - 1] as number) + 1), 'the two files hold one unbroken run of lines').toBe(true);
  });

  it('keeps the cap and the order of the output when the jobs of a periodic process follow each other closely', async () => {
    const daemon = await SigmaDaemon.start({ args: ['--log-max-bytes', '65536'] });
    // Each job writes about 15 KB of lines stamped with the time, every 20 ms.
    const script = 'for i in $(seq 1 150); do echo "$(date +%s%N) line $i of a periodic job, padded to about a hundred bytes ......"; done';
    const created = await daemon.create({ name: 'beat', type: 'PERIODIC', period: 20, command: ['sh', '-c', script], state: 'RUNNING' });
    const id = created.body.processes[0].id;
    await waitFor('a dozen jobs', () => daemon.process(id), (p) => p.runs >= 12, 20_000);
    expect((await daemon.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    const path = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
    await waitFor('the rotated file', () => existsSync(`${path}.1`), (exists) => exists);
    const stampsOf = (file: string): number[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => Number(line.split(' ')[0]));
    expect(statSync(path).size).toBeLessThanOrEqual(65536);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(65536);
    const older = stampsOf(`${path}.1`);
    const newer = stampsOf(path);
    expect(Math.max(...older), 'the rotated file holds the older output').toBeLessThanOrEqual(Math.min(...newer));
  });

  it('holds no log file open once the jobs are over', async () => {
    const daemon = await SigmaDaemon.start();
    for (const name of ['one', 'two', 'three']) {
      const id = (await daemon.create({ name, command: ['echo', name], state: 'RUNNING' })).body.processes[0].id;
      await waitFor(`${name} to finish`, () => daemon.process(id), (p) => p.state === 'DORMANT');
    }
    const openLogs = (): string[] =>
      readdirSync(`/proc/${daemon.pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${daemon.pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((target) => target.endsWith('.log'));
    await waitFor('the daemon to close every log file', openLogs, (open) => open.length === 0);
  });

  it('removes the log files with the process', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'brief', command: ['echo', 'x'], state: 'RUNNING' })).body.processes[0].id;
    const path = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
    await waitFor('the log line', () => (existsSync(path) ? readFileSync(path, 'utf8') : ''), (text) => text === 'x\n');
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
    expect(existsSync(path)).toBe(false);
  });

  it('deletes a process whose log is not a file (a directory in its place): 204, the directory left as it is', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'odd', command: ['true'] })).body.processes[0].id;
    const path = join(daemon.dataDir, 'logs', `${id}.stderr.log`);
    mkdirSync(join(path, 'kept'), { recursive: true });
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
    expect((await daemon.request('GET', `/processes/${id}`)).status).toBe(404);
    expect(statSync(join(path, 'kept')).isDirectory()).toBe(true);
    rmSync(path, { recursive: true });
  });
});

describe('when the log cannot be written', () => {
  it('keeps the job running and the daemon serving, and shows why on the process until writes succeed again', async (context) => {
    const daemon = await SigmaDaemon.start();
    const logsDir = join(daemon.dataDir, 'logs');
    // A full disk: a 64 KiB file system over the logs directory.
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logsDir], { stdio: 'pipe' });
    } catch (error) {
      skipOrFail(context, 'tmpfs', `no tmpfs can be mounted here to fill a disk (${String(error).split('\n')[0]})`);
    }
    try {
      const events = await openStream(`${daemon.url}/events`, daemon.token);
      const script = 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); printf "%0100d\\n" $i; done; echo done >&2; exec sleep 300';
      const created = await daemon.create({ name: 'flood', command: ['sh', '-c', script], state: 'RUNNING' });
      const id = created.body.processes[0].id;
      const failing = await waitFor('the error on the process', () => daemon.process(id), (p) => p.outputError !== null);
      expect(failing.outputError).toMatch(/ENOSPC/);
      expect(failing.state).toBe('RUNNING');
      expect(isAlive(failing.pid), 'the job keeps running').toBe(true);
      // Alive is not enough (a job blocked in write() is alive too): it gets through all of its
      // output, three times what the pipe holds, and execs its next command.
      const comm = (): string => (isAlive(failing.pid) ? readFileSync(`/proc/${failing.pid}/comm`, 'latin1').trim() : 'gone');
      await waitFor('the job to write all of its output and exec sleep', comm, (name) => name === 'sleep');
      expect((await daemon.process(id)).state).toBe('RUNNING');
      expect((await daemon.request('GET', '/processes')).status, 'the daemon keeps serving').toBe(200);
      expect(daemon.stderr).toMatch(/cannot write a job log/);
      await events.waitForText('an updated event with the error', (text) =>
        parseEvents(text).some((event) => event.event === 'updated' && /ENOSPC/.test(event.data.process?.outputError ?? '')),
      );
      events.close();
      // Room again: the next write succeeds and the error goes.
      for (const file of readdirSync(logsDir)) rmSync(join(logsDir, file));
      await daemon.operate(id, 'STOP');
      await daemon.request('PATCH', `/processes/${id}`, { command: ['sh', '-c', 'echo written; echo written >&2'] });
      await daemon.operate(id, 'START');
      await waitFor('the error to clear', () => daemon.process(id), (p) => p.outputError === null && p.state === 'DORMANT');
    } finally {
      await daemon.stop();
      execFileSync('umount', ['-l', logsDir]);
    }
  });
});
