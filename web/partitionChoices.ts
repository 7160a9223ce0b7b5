// The partition <select>s: the filter above the process table and the create form's field,
// kept to the partitions the token may see. A choice still offered stays chosen.
import { fillOptions } from './selectOptions.js';

/** The filter: every partition, or one. Value "" means all. */
export function fillPartitionFilter(select: HTMLSelectElement, names: readonly string[]): void {
  fillOptions(select, [['', 'All partitions'], ...names.map((name): [string, string] => [name, name])], select.value);
}

/** The create form: `default` first chosen when there is one, else the first (a partition token's own). */
export function fillPartitionField(select: HTMLSelectElement, names: readonly string[]): void {
  if (names.length === 0) {
    // The partitions could not be read: send none, and the daemon decides.
    fillOptions(select, [['', "the daemon's default"]], '');
    return;
  }
  const current = names.includes(select.value) ? select.value : names.includes('default') ? 'default' : (names[0] ?? '');
  fillOptions(select, names.map((name): [string, string] => [name, name]), current);
}
