// The soak's judgement of memory: a line fitted to every sample of the load, so that a steady
// climb fails even when the first reading was high, and a saw-tooth that goes nowhere passes;
// what follows the collector is judged over long runs only, what does not over every run.
import { describe, expect, it } from 'vitest';
import { fittedGrowthPercent, fittedLine } from '../../soak/lib/memoryTrend.js';
import { COLLECTOR_JUDGED_FROM_S, verdictOf, type SoakResults } from '../../soak/lib/soakReport.js';

const series = (values: readonly number[]) => values.map((value, index) => ({ atS: index + 1, value }));

it('fits the least-squares line: its slope per second and its value at the first sample', () => {
  expect(fittedLine(series([10, 12, 14, 16]))).toEqual({ slopePerS: 2, atFirst: 10 });
  expect(fittedLine(series([5, 5, 5]))).toEqual({ slopePerS: 0, atFirst: 5 });
  expect(fittedLine(series([1, 2])), 'two points tell no trend').toBeNull();
  expect(fittedLine([{ atS: 3, value: 1 }, { atS: 3, value: 2 }, { atS: 3, value: 3 }]), 'all at one time').toBeNull();
});

it('sees the climb that a first and a last reading hide, and lets a saw-tooth that goes nowhere pass', () => {
  // RSS of a soak: 186 MiB at the start of the load, then 173 MiB rising by 0.5 MiB every second.
  const climbing = series([186_000, ...Array.from({ length: 59 }, (_, index) => 173_000 + index * 512)]);
  const first = climbing[0]!.value;
  const last = climbing.at(-1)!.value;
  expect(((last - first) / first) * 100, 'end against start').toBeLessThan(10);
  expect(fittedGrowthPercent(climbing, 60), 'the fitted trend over 60 s').toBeGreaterThan(10);
  // The collector's saw-tooth: up 10% and back, over and over.
  const sawTooth = series(Array.from({ length: 60 }, (_, index) => 100_000 + (index % 6) * 2_000));
  expect(Math.abs(fittedGrowthPercent(sawTooth, 60) as number)).toBeLessThan(5);
  expect(fittedGrowthPercent(series([100, 101]), 60)).toBeNull();
});

describe('the soak verdict on memory', () => {
  /** A soak's results with only what the memory verdict reads: heap samples every second of the load. */
  function results(loadSeconds: number, sample: (atS: number) => { heapUsedKiB: number; heapTotalKiB: number; rssKiB: number }): SoakResults {
    const heapSamples = Array.from({ length: loadSeconds }, (_, index) => ({ atS: index + 1, externalKiB: 3000, eventLoopLagMaxMs: 1, ...sample(index + 1) }));
    const rssSamples = heapSamples.map(({ atS, rssKiB }) => ({ atS, rssKiB }));
    return {
      options: { loadSeconds },
      phasesS: { setup: 10, load: loadSeconds, teardown: 1 },
      requests: { overall: { errors: 0 } },
      warmup: { errors: 0 },
      releases: [],
      leftovers: [],
      daemon: { stop: { code: 0, signal: null, killed: false, stopMs: 100 } },
      rss: { startKiB: rssSamples[0]!.rssKiB, endKiB: rssSamples.at(-1)!.rssKiB, limitPercent: 10, samples: rssSamples, heapSamples, heapSampleMs: 1000, heapLimitPercent: 50 },
    } as unknown as SoakResults;
  }
  // The collector's saw-tooth: the heap in use climbs from 35 MiB by 6.5 MiB a second and falls back
  // every 10 s, V8 holding a little more for it, RSS with it; `phaseS` shifts where a run starts in it.
  const sawTooth = (outsideKiB: (atS: number) => number, phaseS = 0) => (atS: number) => {
    const heapUsedKiB = 35_000 + ((atS + phaseS) % 10) * 6_500;
    return { heapUsedKiB, heapTotalKiB: heapUsedKiB + 10_000, rssKiB: heapUsedKiB + 10_000 + outsideKiB(atS) };
  };

  it('passes a 10 s run caught on the rising side of the saw-tooth, whose RSS outside the heap holds', () => {
    const quick = results(10, sawTooth(() => 70_000, -1));
    expect(((quick.rss.endKiB - quick.rss.startKiB) / quick.rss.startKiB) * 100, 'RSS end against start').toBeGreaterThan(10);
    expect(verdictOf(quick)).toEqual({ pass: true, reasons: [] });
  });

  it('fails any run whose RSS outside the heap climbs (native memory does not follow the collector)', () => {
    const leaking = verdictOf(results(10, sawTooth((atS) => 70_000 + atS * 1_000, -1)));
    expect(leaking.pass).toBe(false);
    expect(leaking.reasons.join()).toMatch(/RSS outside V8's heap trends up/);
  });

  it(`judges RSS and the heap in use too over ${COLLECTOR_JUDGED_FROM_S} s or more`, () => {
    const climbing = verdictOf(results(60, (atS) => ({ heapUsedKiB: 35_000 + atS * 1_000, heapTotalKiB: 50_000 + atS * 1_000, rssKiB: 120_000 + atS * 1_000 })));
    expect(climbing.reasons.join('\n')).toMatch(/daemon RSS grew[\s\S]*RSS trends up[\s\S]*V8 heap trends up/);
    expect(verdictOf(results(60, sawTooth(() => 70_000))).pass).toBe(true);
  });
});
