// etcd members (Debian's etcd-server) for the fleet section: a cluster on free loopback ports and
// temp data dirs, each member tracked so that the bench ends it, as every process it starts.
import { spawn, spawnSync } from 'node:child_process';
import { track } from './cleanup.js';
import { freePort, tempDir } from './sigmaDaemon.js';

const ETCD = 'etcd';

/** Why etcd cannot be run here, or null. */
export function etcdMissing(): string | null {
  return spawnSync(ETCD, ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'no etcd binary (Debian: apt-get install etcd-server)';
}

/** Starts `size` members as one cluster and answers their client URLs once it serves. */
export async function startEtcd(size: number): Promise<string[]> {
  const members = [];
  for (let index = 0; index < size; index += 1) {
    members.push({ name: `m${index}`, client: `http://127.0.0.1:${await freePort()}`, peer: `http://127.0.0.1:${await freePort()}` });
  }
  const cluster = members.map((member) => `${member.name}=${member.peer}`).join(',');
  for (const member of members) {
    const child = spawn(
      ETCD,
      [
        '--name', member.name,
        '--data-dir', tempDir(`etcd-${member.name}`),
        '--listen-client-urls', member.client,
        '--advertise-client-urls', member.client,
        '--listen-peer-urls', member.peer,
        '--initial-advertise-peer-urls', member.peer,
        '--initial-cluster', cluster,
        '--initial-cluster-state', 'new',
        '--log-level', 'error',
      ],
      { stdio: 'ignore', detached: true },
    );
    track(child, `etcd ${member.name}`);
  }
  const endpoints = members.map((member) => member.client);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const healthy = await Promise.all(endpoints.map((url) => fetch(`${url}/health`).then((reply) => reply.ok, () => false)));
    if (healthy.every(Boolean)) return endpoints;
    if (Date.now() > deadline) throw new Error('etcd did not become healthy within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
