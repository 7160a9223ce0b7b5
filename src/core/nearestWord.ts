// The known word a mistyped one most likely meant: for "did you mean ...?" in messages of the API
// and of the command line.

/** Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** Farther than this, a word is taken for another word, not a typo of a known one. */
const MAX_TYPO_DISTANCE = 2;
/** A shorter start (e.g. "p") would match too much to be a short form. */
const MIN_SHORT_FORM = 3;

/**
 * The known word nearest to `typed`, case aside: the closest within two edits (the first listed
 * on a tie), else one it starts (a short form, "memory" for "memoryBytes"); null when none is.
 */
export function nearestWord(typed: string, known: readonly string[]): string | null {
  const lower = typed.toLowerCase();
  let nearest: string | null = null;
  let nearestDistance = MAX_TYPO_DISTANCE + 1;
  for (const word of known) {
    const distance = editDistance(word.toLowerCase(), lower);
    if (distance < nearestDistance) {
      nearest = word;
      nearestDistance = distance;
    }
  }
  if (nearest !== null) return nearest;
  if (lower.length < MIN_SHORT_FORM) return null;
  return known.find((word) => word.toLowerCase().startsWith(lower)) ?? null;
}
