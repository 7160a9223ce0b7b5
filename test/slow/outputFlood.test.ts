// A job that writes gigabytes: the log cap holds and the daemon's memory does not grow with it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterAll(cleanUpDaemons);

const FLOOD_BYTES = Number(process.env.SIGMA_FLOOD_BYTES ?? 2_000_000_000);
const LOG_MAX_BYTES = 1024 * 1024;

/** A figure of /proc/<pid>/status in bytes (VmRSS: now; VmHWM: the peak since the start). */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
}

it(`keeps the log within --log-max-bytes and the daemon's memory flat while a job writes ${FLOOD_BYTES / 1e9} GB`, async () => {
  const daemon = await SigmaDaemon.start({ args: ['--log-max-bytes', String(LOG_MAX_BYTES)] });
  // Warm the daemon up (its first requests load code), then take its memory.
  for (let i = 0; i < 20; i += 1) await daemon.request('GET', '/processes');
  const rssBefore = memoryOf(daemon.pid, 'VmRSS');
  const peakBefore = memoryOf(daemon.pid, 'VmHWM');
  const command = ['sh', '-c', `yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${FLOOD_BYTES}; echo; echo the-end`];
  const id = (await daemon.create({ name: 'flood', command, state: 'RUNNING' })).body.processes[0].id;
  const started = Date.now();
  const done = await waitFor('the flood to end', () => daemon.process(id), (p) => p.state === 'DORMANT', 240_000);
  const seconds = (Date.now() - started) / 1000;
  expect(done.lastExit).toMatchObject({ code: 0 });
  const log = join(daemon.dataDir, 'logs', `${id}.stdout.log`);
  await waitFor('the last line in the log', () => readFileSync(log, 'utf8'), (text) => text.endsWith('the-end\n'));
  expect(statSync(log).size).toBeLessThanOrEqual(LOG_MAX_BYTES);
  expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(LOG_MAX_BYTES);
  const rssAfter = memoryOf(daemon.pid, 'VmRSS');
  const peakAfter = memoryOf(daemon.pid, 'VmHWM');
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `${FLOOD_BYTES / 1e9} GB in ${seconds.toFixed(1)} s (${(FLOOD_BYTES / 1e6 / seconds).toFixed(0)} MB/s); daemon RSS ${mib(rssBefore)} -> ${mib(rssAfter)} MiB, peak ${mib(peakBefore)} -> ${mib(peakAfter)} MiB`,
  );
  expect(rssAfter - rssBefore, 'RSS growth').toBeLessThan(64 * 1024 * 1024);
  expect(peakAfter - rssBefore, 'peak above the RSS before').toBeLessThan(96 * 1024 * 1024);
  expect(await daemon.stop()).toBe(0);
}, 300_000);
