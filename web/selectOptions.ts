// Fills a <select> with options, keeping the chosen one when it is still offered. The options are
// rebuilt only when they changed, so a list read again and again does not disturb an open choice.

export function fillOptions(select: HTMLSelectElement, options: Array<[value: string, label: string]>, chosen: string): void {
  const same = select.options.length === options.length && options.every(([value], index) => select.options[index]?.value === value);
  if (!same) {
    select.replaceChildren(
      ...options.map(([value, label]) => {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = label;
        return option;
      }),
    );
  }
  select.value = options.some(([value]) => value === chosen) ? chosen : (options[0]?.[0] ?? '');
}
