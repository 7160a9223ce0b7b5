// A process's record in etcd is written by its owner after each change, over the record as the
// owner last knew it: never over a move the fleet made meanwhile (against a real etcd member).
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdGateway } from '../../src/fleet/etcdGateway.js';
import { FleetProcesses } from '../../src/fleet/fleetProcesses.js';
import { EtcdCluster, ETCD_MISSING } from '../support/etcdCluster.js';

let cluster: EtcdCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe.skipIf(ETCD_MISSING !== null)('a process\'s record in etcd', () => {
  it('is written after a change by its owner, and not written back once the fleet moved it', async () => {
    cluster = await EtcdCluster.start(1);
    const gateway = new EtcdGateway(cluster.endpoints);
    const owner = new FleetProcesses(gateway, 'rig-a');
    const id = await owner.reserve('mover', 'default', 'rig-a', true, {});
    await owner.record(id, { id, name: 'mover', state: 'RUNNING' });
    expect(await owner.recordOf(id)).toMatchObject({ node: 'rig-a', process: { state: 'RUNNING' } });

    // Another member moves it (its node was seen down); the old owner then records a change it made.
    const member = new FleetProcesses(gateway, 'rig-b');
    const revised = (await member.revised()).find(({ record }) => record.id === id);
    expect(revised && (await member.move(revised, 'rig-b'))).toBe(true);
    await owner.record(id, { id, name: 'mover', state: 'DORMANT' });
    expect(await member.recordOf(id)).toMatchObject({ node: 'rig-b', process: { state: 'RUNNING' } });

    // The new owner's own changes are recorded.
    await member.record(id, { id, name: 'mover', state: 'SUSPENDEND' });
    expect(await owner.recordOf(id)).toMatchObject({ node: 'rig-b', process: { state: 'SUSPENDEND' } });
  });
});
