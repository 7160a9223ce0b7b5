// Puts a table body's rows in the order given, moving only the rows that are out of place (moving
// one takes the focus off a button or link in it), and drops the rows past them.
export function placeRows(body: HTMLTableSectionElement, rows: readonly HTMLTableRowElement[]): void {
  rows.forEach((row, index) => {
    const there = body.children[index];
    if (there !== row) body.insertBefore(row, there ?? null);
  });
  while (body.children.length > rows.length) body.lastElementChild?.remove();
}
