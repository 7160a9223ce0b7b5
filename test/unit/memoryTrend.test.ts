// The soak's judgement of memory: a line fitted to every sample of the load, so that a steady
// climb fails even when the first reading was high, and a saw-tooth that goes nowhere passes.
import { expect, it } from 'vitest';
import { fittedGrowthPercent, fittedLine } from '../../soak/lib/memoryTrend.js';

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
