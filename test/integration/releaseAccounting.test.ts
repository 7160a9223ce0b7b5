// Every release point of a PERIODIC process is counted exactly once (a run, an overrun, a skip or a
// failure), also when STOP lands on a release point: the launcher may have started that point's
// job while the daemon was deciding the STOP. Each STOP here is aimed at a release point; the
// points due are those from START to STOP, known to lie between each request's sending and its
// answer (the daemon's clock is the epoch on a monotonic clock, as this one is).
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const PERIOD_MS = 30;
const CYCLES = 40;
/** For the ISO times' millisecond rounding and the two processes' clock anchors. */
const CLOCK_SLACK_MS = 2;

const nowMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Counted {
  runs: number;
  overruns: number;
  skipped: number;
  failures: number;
}
const accounted = (p: Counted): number => p.runs + p.overruns + p.skipped + p.failures;

describe('release accounting', () => {
  it('counts each release point once when STOP lands on one', async () => {
    const daemon = await SigmaDaemon.start();
    const created = await daemon.create({ name: 'ticks', type: 'PERIODIC', period: PERIOD_MS, command: ['true'] });
    const id = created.body.processes[0].id as number;
    const wrong: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const before = accounted(await daemon.process(id));
      const startSentMs = nowMs();
      expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
      const startAnsweredMs = nowMs();
      const nextReleaseAtMs = Date.parse((await daemon.process(id)).nextReleaseAt);
      // Aimed at the third point after the last one START's answer could have been (START's instant is point 0).
      const aimT0Ms = nextReleaseAtMs - Math.ceil((nextReleaseAtMs - startAnsweredMs) / PERIOD_MS) * PERIOD_MS;
      // Sent a little before it, so that the STOP is decided on it, give or take the request's own time.
      await sleep(aimT0Ms + 3 * PERIOD_MS - 0.5 - (cycle % 5) * 0.4 - nowMs());
      const stopSentMs = nowMs();
      expect((await daemon.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
      const stopAnsweredMs = nowMs();
      // The grid's origin, as its first run tells it.
      const runs = (await daemon.request('GET', `/processes/${id}/runs?limit=20`)).body.runs as { releaseAt: string }[];
      const t0Ms = Math.min(...runs.map((run) => Date.parse(run.releaseAt)).filter((atMs) => atMs >= startSentMs - CLOCK_SLACK_MS));
      const pointsUpTo = (atMs: number): number => Math.floor((atMs - t0Ms) / PERIOD_MS) + 1;
      const dueMin = pointsUpTo(stopSentMs - CLOCK_SLACK_MS);
      const dueMax = pointsUpTo(stopAnsweredMs + CLOCK_SLACK_MS);
      const process = await daemon.process(id);
      const counted = accounted(process) - before;
      if (counted < dueMin || counted > dueMax) {
        wrong.push(`cycle ${cycle}: ${counted} counted, ${dueMin}..${dueMax} due (runs ${process.runs}, overruns ${process.overruns}, skipped ${process.skipped})`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await daemon.stop()).toBe(0);
  }, 60_000);
});
