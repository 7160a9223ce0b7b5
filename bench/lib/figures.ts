// The figures of a run: each with its unit, and for a comparison the baseline measured in the same
// run, the ratio of medians and the bar it is held to.

export interface Bar {
  /** "max": the ratio (or value) must be at most limit; "min": at least limit. */
  readonly kind: 'max' | 'min';
  readonly limit: number;
  /** Whether the bar is on the ratio to the baseline or on the value itself. */
  readonly on: 'ratio' | 'value';
}

export interface Figure {
  readonly key: string;
  readonly section: string;
  readonly label: string;
  readonly value: number | null;
  readonly unit: string;
  readonly baselineLabel?: string;
  readonly baseline?: number | null;
  /** value / baseline, both medians of interleaved rounds. */
  readonly ratio?: number | null;
  readonly bar?: Bar;
  readonly met?: boolean | null;
  /** Why a figure has no value (a peer could not be installed), or how to read it. */
  readonly note?: string;
  readonly rounds?: number;
}

export type FigureInput = Omit<Figure, 'ratio' | 'met'>;

const figures: Figure[] = [];

export function record(input: FigureInput): Figure {
  const ratio =
    input.baseline === undefined
      ? undefined
      : input.value !== null && input.baseline !== null && input.baseline !== 0 && Number.isFinite(input.value) && Number.isFinite(input.baseline)
        ? input.value / input.baseline
        : null;
  const figure: Figure = { ...input, ...(ratio !== undefined ? { ratio } : {}), ...(input.bar ? { met: meets(input.bar, input.value, ratio ?? null) } : {}) };
  figures.push(figure);
  return figure;
}

function meets(bar: Bar, value: number | null, ratio: number | null): boolean | null {
  const measured = bar.on === 'ratio' ? ratio : value;
  if (measured === null || !Number.isFinite(measured)) return null;
  return bar.kind === 'max' ? measured <= bar.limit : measured >= bar.limit;
}

export function allFigures(): readonly Figure[] {
  return figures;
}

/** A figure is produced when it has a finite value, or a note saying why it could not have one. */
export function missingFigures(): Figure[] {
  return figures.filter((figure) => (figure.value === null || !Number.isFinite(figure.value)) && !figure.note);
}

export function describeBar(bar: Bar): string {
  const sign = bar.kind === 'max' ? '<=' : '>=';
  return bar.on === 'ratio' ? `${sign} ${bar.limit} x` : `${sign} ${bar.limit}`;
}
