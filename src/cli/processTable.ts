// The table of `sigma ps`.
import type { ProcessJson } from './apiTypes.js';
import { formatLastExitShort, formatPeriod, formatRelative } from './displayValues.js';
import { plainTable } from './plainTable.js';
import { paintState, type Painter } from './terminalStyle.js';

const HEAD = ['ID', 'NAME', 'TYPE', 'PERIOD', 'STATE', 'PID', 'RUNS', 'LAST EXIT', 'NEXT RELEASE'];

export function processTable(processes: ProcessJson[], nowMs: number, paint: Painter): string {
  const rows = processes.map((shown) => [
    String(shown.id),
    shown.name,
    shown.type,
    formatPeriod(shown.period),
    paintState(paint, shown.state),
    shown.pid === null ? '-' : String(shown.pid),
    String(shown.runs),
    formatLastExitShort(shown.lastExit),
    formatRelative(shown.nextReleaseAt, nowMs),
  ]);
  return plainTable(paint, HEAD, rows);
}
