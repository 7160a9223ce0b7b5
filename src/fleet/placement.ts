// Where a new process goes: the node named, else the least loaded up node whose labels include
// every label asked for; in either case one that has the process's partition.
import { NoNodeMatchesError } from '../errors/sigmaErrors.js';
import type { FleetNode } from './fleetMembership.js';

export interface PlacementAsked {
  readonly node?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly partition: string;
  /** Only a node whose launcher fences its jobs takes a relocatable process. */
  readonly relocatable?: boolean | undefined;
}

const fences = (node: FleetNode): boolean => node.launcher !== 'in-process';

const IN_PROCESS_REFUSAL = (name: string): string =>
  `node "${name}" runs its jobs in its own process (--launcher in-process): a relocatable process needs the native launcher, which ends its job when the node's daemon is gone, before another node may start it`;

export function chooseNode(nodes: readonly FleetNode[], asked: PlacementAsked): FleetNode {
  const labels = Object.entries(asked.labels ?? {});
  if (asked.node !== undefined) {
    const named = nodes.find((node) => node.name === asked.node);
    if (!named) throw new NoNodeMatchesError(`no node named "${asked.node}" is in the fleet (GET /nodes lists them)`);
    if (named.status !== 'up') throw new NoNodeMatchesError(`node "${asked.node}" is down`);
    if (!named.partitions.includes(asked.partition)) throw new NoNodeMatchesError(`node "${asked.node}" has no partition "${asked.partition}"`);
    const missing = labels.filter(([key, value]) => named.labels[key] !== value);
    if (missing.length > 0) throw new NoNodeMatchesError(`node "${asked.node}" does not have the label${missing.length > 1 ? 's' : ''} ${missing.map(([key, value]) => `${key}=${value}`).join(', ')}`);
    if (asked.relocatable && !fences(named)) throw new NoNodeMatchesError(IN_PROCESS_REFUSAL(named.name));
    return named;
  }
  const candidates = nodes.filter(
    (node) =>
      node.status === 'up' && node.partitions.includes(asked.partition) && labels.every(([key, value]) => node.labels[key] === value) && (!asked.relocatable || fences(node)),
  );
  if (candidates.length === 0) {
    const wanted = [`partition "${asked.partition}"`, ...labels.map(([key, value]) => `${key}=${value}`), ...(asked.relocatable ? ['the native launcher (for a relocatable process)'] : [])].join(', ');
    throw new NoNodeMatchesError(`no node that is up has ${wanted}`);
  }
  // The fewest running jobs; between equals, the first by name, so that a choice is repeatable.
  return [...candidates].sort((a, b) => (a.runningJobs ?? 0) - (b.runningJobs ?? 0) || a.name.localeCompare(b.name))[0] as FleetNode;
}
