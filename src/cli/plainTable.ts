// Borderless, column-aligned tables (like `kubectl get`): easy to read and to grep.
import Table from 'cli-table3';
import type { Painter } from './terminalStyle.js';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '  ',
};

export function plainTable(paint: Painter, head: string[], rows: string[][]): string {
  const table = new Table({
    head: head.map((title) => paint('bold', title)),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  table.push(...rows);
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
