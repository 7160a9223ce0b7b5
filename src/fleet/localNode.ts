// A node started without --fleet answers GET /nodes too: itself, up, so that a client can treat
// one node and a fleet alike.
import { hostname } from 'node:os';
import type { FleetNode, FleetStatus, NodeDirectory, NodeLoad, NodeRecord } from './fleetMembership.js';

export class LocalNode implements NodeDirectory {
  readonly nodeName = null;
  private url = '';

  constructor(
    private readonly fingerprint: NodeRecord['fingerprint'],
    private readonly launcher: NodeRecord['launcher'],
    private readonly loadOf: () => NodeLoad,
  ) {}

  serving(url: string): void {
    this.url = url;
  }

  fleetStatus(): FleetStatus | null {
    return null;
  }

  async nodes(): Promise<{ nodes: FleetNode[]; fresh: boolean }> {
    const load = this.loadOf();
    const self: FleetNode = { name: hostname(), url: this.url, labels: {}, fingerprint: this.fingerprint, launcher: this.launcher, status: 'up', ...load };
    return { nodes: [self], fresh: true };
  }
}
