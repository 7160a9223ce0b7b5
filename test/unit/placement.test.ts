// Where a new process goes in a fleet: the node named, else the least loaded up node with the
// labels and the partition asked; and why none, when none fits.
import { describe, expect, it } from 'vitest';
import type { FleetNode } from '../../src/fleet/fleetMembership.js';
import { chooseNode } from '../../src/fleet/placement.js';

const node = (name: string, runningJobs: number, labels: Record<string, string> = {}, more: Partial<FleetNode> = {}): FleetNode => ({
  name,
  url: `https://${name}:8443`,
  labels,
  fingerprint: null,
  launcher: 'native',
  status: 'up',
  runningJobs,
  partitions: ['default'],
  ...more,
});

const fleet = [
  node('rig-a', 5, { rig: 'a', room: 'lab' }),
  node('rig-b', 1, { rig: 'b', room: 'lab' }),
  node('rig-c', 0, { rig: 'c' }, { status: 'down', runningJobs: null }),
  node('rig-d', 3, { rig: 'd', room: 'lab' }, { partitions: ['default', 'gpu'] }),
];

describe('placement', () => {
  it('takes the least loaded up node with the partition, a down one never', () => {
    expect(chooseNode(fleet, { partition: 'default' }).name).toBe('rig-b');
    expect(chooseNode(fleet, { partition: 'gpu' }).name).toBe('rig-d');
  });

  it('takes only nodes with every label asked', () => {
    expect(chooseNode(fleet, { partition: 'default', labels: { room: 'lab', rig: 'a' } }).name).toBe('rig-a');
    expect(chooseNode(fleet, { partition: 'default', labels: { room: 'lab' } }).name).toBe('rig-b');
    expect(() => chooseNode(fleet, { partition: 'default', labels: { rig: 'c' } })).toThrow('no node that is up has partition "default", rig=c');
  });

  it('takes the node named, and says why it cannot', () => {
    expect(chooseNode(fleet, { partition: 'default', node: 'rig-a' }).name).toBe('rig-a');
    expect(() => chooseNode(fleet, { partition: 'default', node: 'rig-c' })).toThrow('node "rig-c" is down');
    expect(() => chooseNode(fleet, { partition: 'default', node: 'rig-z' })).toThrow('no node named "rig-z" is in the fleet');
    expect(() => chooseNode(fleet, { partition: 'gpu', node: 'rig-a' })).toThrow('node "rig-a" has no partition "gpu"');
    expect(() => chooseNode(fleet, { partition: 'default', node: 'rig-a', labels: { rig: 'b' } })).toThrow('node "rig-a" does not have the label rig=b');
  });

  it('puts a relocatable process only on a node whose launcher fences its jobs', () => {
    const mixed = [node('inproc', 0, {}, { launcher: 'in-process' }), node('native', 4)];
    expect(chooseNode(mixed, { partition: 'default' }).name).toBe('inproc');
    expect(chooseNode(mixed, { partition: 'default', relocatable: true }).name).toBe('native');
    expect(() => chooseNode(mixed, { partition: 'default', node: 'inproc', relocatable: true })).toThrow('node "inproc" runs its jobs in its own process (--launcher in-process)');
    expect(() => chooseNode([mixed[0]!], { partition: 'default', relocatable: true })).toThrow('no node that is up has partition "default", the native launcher (for a relocatable process)');
  });

  it('breaks a tie by name, so that the same fleet places the same way', () => {
    const even = [node('n2', 0), node('n1', 0), node('n3', 0)];
    expect(chooseNode(even, { partition: 'default' }).name).toBe('n1');
  });
});
