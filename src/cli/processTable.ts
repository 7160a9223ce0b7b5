// The table of `sigma ps`.
import type { ProcessJson } from './apiTypes.js';
import { formatLastExitShort, formatPeriod, formatRelative } from './displayValues.js';
import { plainTable } from './plainTable.js';
import { displayable } from './terminalText.js';
import { paintState, type Painter } from './terminalStyle.js';

/** After the state in `sigma ps`: the output of the process's jobs cannot be written to its log now. */
export const OUTPUT_ERROR_MARK = '!';

const HEAD = ['ID', 'NAME', 'PARTITION', 'TYPE', 'PERIOD', 'STATE', 'PID', 'RUNS', 'RESTARTS', 'LAST EXIT', 'NEXT RELEASE'];

/** In a fleet, after the node's name: the node is down (the process is shown as last recorded). */
export const NODE_DOWN_MARK = ' (down)';

export function processTable(processes: ProcessJson[], nowMs: number, paint: Painter): string {
  // The NODE column is a fleet's: a node on its own lists no node.
  const inFleet = processes.some((listed) => listed.node !== undefined);
  const rows = displayable(processes).map((shown) => [
    String(shown.id),
    shown.name,
    ...(inFleet ? [shown.nodeStatus === 'down' ? `${shown.node ?? '-'}${paint('red', NODE_DOWN_MARK)}` : (shown.node ?? '-')] : []),
    shown.partition,
    shown.type,
    formatPeriod(shown.period),
    // `!`: the output of its jobs cannot be written to its log now (the reason is in `sigma show`).
    shown.outputError === null ? paintState(paint, shown.state) : `${paintState(paint, shown.state)}${paint('yellow', OUTPUT_ERROR_MARK)}`,
    shown.pid === null ? '-' : String(shown.pid),
    String(shown.runs),
    String(shown.restarts),
    formatLastExitShort(shown.lastExit),
    formatRelative(shown.nextReleaseAt, nowMs),
  ]);
  return plainTable(paint, inFleet ? [...HEAD.slice(0, 2), 'NODE', ...HEAD.slice(2)] : HEAD, rows);
}
