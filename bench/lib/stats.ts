// Percentiles and medians of samples.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(samples: readonly number[]): number {
  const finite = samples.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function max(samples: readonly number[]): number {
  return samples.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
}

/**
 * Runs a and b alternately (A B, B A, A B, ...) so that drift of the machine hits both alike. On a
 * busy machine, no new round begins once budgetMs has passed (at least one round always runs).
 */
export async function interleave<A, B>(rounds: number, a: () => Promise<A>, b: () => Promise<B>, budgetMs = Number.POSITIVE_INFINITY): Promise<{ a: A[]; b: B[] }> {
  const as: A[] = [];
  const bs: B[] = [];
  const startMs = performance.now();
  for (let round = 0; round < rounds; round += 1) {
    if (round > 0 && performance.now() - startMs > budgetMs) break;
    if (round % 2 === 0) {
      as.push(await a());
      bs.push(await b());
    } else {
      bs.push(await b());
      as.push(await a());
    }
  }
  return { a: as, b: bs };
}
