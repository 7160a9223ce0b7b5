// Whether the daemon's memory grows under a steady load, judged from every sample taken during it
// (a least-squares line), not from its first and last ones: a leak shows as a steady slope, while
// the collector's saw-tooth and one high or low reading at either end do not move the line much.

export interface TrendPoint {
  readonly atS: number;
  readonly value: number;
}

export interface FittedLine {
  readonly slopePerS: number;
  /** The line's value at the first sample's time. */
  readonly atFirst: number;
}

/** Fewer samples than this tell no trend. */
export const MIN_TREND_SAMPLES = 3;

/** The least-squares line through the points; null with fewer than MIN_TREND_SAMPLES or all at one time. */
export function fittedLine(points: readonly TrendPoint[]): FittedLine | null {
  if (points.length < MIN_TREND_SAMPLES) return null;
  const meanAtS = points.reduce((sum, point) => sum + point.atS, 0) / points.length;
  const meanValue = points.reduce((sum, point) => sum + point.value, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.atS - meanAtS) * (point.value - meanValue);
    variance += (point.atS - meanAtS) ** 2;
  }
  if (variance === 0) return null;
  const slopePerS = covariance / variance;
  const firstAtS = points[0]?.atS ?? meanAtS;
  return { slopePerS, atFirst: meanValue + slopePerS * (firstAtS - meanAtS) };
}

/** How much the fitted line grows over `spanS`, in percent of its value at the first sample; null if no line. */
export function fittedGrowthPercent(points: readonly TrendPoint[], spanS: number): number | null {
  const line = fittedLine(points);
  if (line === null || line.atFirst <= 0) return null;
  return ((line.slopePerS * spanS) / line.atFirst) * 100;
}
