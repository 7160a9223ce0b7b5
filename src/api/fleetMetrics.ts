// A node of a fleet in its metrics: every figure labelled with the node's name (so that one
// Prometheus scraping every node tells them apart), the fleet's nodes up and down as this node
// last read them, and whether etcd answers it.
import { Gauge, type Registry } from 'prom-client';
import type { FleetRouting } from './fleetRouting.js';

export function addFleetMetrics(registry: Registry, fleet: FleetRouting): void {
  registry.setDefaultLabels({ node: fleet.nodeName });
  new Gauge({
    name: 'sigma_fleet_nodes',
    help: "The fleet's nodes as this node last read them from etcd, by status",
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const nodes = fleet.knownNodes();
      this.set({ status: 'up' }, nodes.filter((node) => node.status === 'up').length);
      this.set({ status: 'down' }, nodes.filter((node) => node.status === 'down').length);
    },
  });
  new Gauge({
    name: 'sigma_fleet_etcd_connected',
    help: '1 while etcd answers this node (changes are taken), 0 while it is out of reach',
    registers: [registry],
    collect() {
      this.set(fleet.etcdConnected() ? 1 : 0);
    },
  });
}
