// The create form's part for a fleet: the node to create the process on, and whether the fleet may
// move it when that node is down. Hidden on a node started without --fleet, and then sends nothing.
import { byId } from './elements.js';
import { fillOptions } from './selectOptions.js';

export function showCreateFleetFields(shown: boolean): void {
  byId('create-fleet-fields').hidden = !shown;
  if (shown) return;
  fillNodeChoice([]);
  byId<HTMLInputElement>('create-relocatable').checked = false;
}

/** The nodes that are up, after "any node" (sent as none: the daemon chooses the least loaded). */
export function fillNodeChoice(upNodes: readonly string[]): void {
  const select = byId<HTMLSelectElement>('create-node');
  fillOptions(select, [['', 'any node'], ...upNodes.map((name): [string, string] => [name, name])], select.value);
}
