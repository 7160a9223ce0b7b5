// The table of `sigma ps`.
import type { ProcessJson } from './apiTypes.js';
import { formatLastExitShort, formatPeriod, formatRelative } from './displayValues.js';
import { plainTable } from './plainTable.js';
import { paintState, type Painter } from './terminalStyle.js';

const HEAD = ['ID', 'NAME', 'TYPE', 'PERIOD', 'STATE', 'PID', 'RUNS', 'LAST EXIT', 'NEXT RELEASE'];

export function processTable(processes: ProcessJson[], nowMs: number, paint: Painter): string {
  const rows = processes.map((process) => [
    String(process.id),
    process.name,
    process.type,
    formatPeriod(process.period),
    paintState(paint, process.state),
    process.pid === null ? '-' : String(process.pid),
    String(process.runs),
    formatLastExitShort(process.lastExit),
    formatRelative(process.nextReleaseAt, nowMs),
  ]);
  return plainTable(paint, HEAD, rows);
}
