// Real etcd members (Debian's etcd-server) on free loopback ports and temp data dirs, started for
// one test and ended by pid. Without the etcd binary, fleet tests skip, unless
// SIGMA_REQUIRE_ETCD=1 (as in CI) makes that a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './waitFor.js';

export const ETCD_BINARY = process.env.SIGMA_ETCD_BINARY ?? 'etcd';
export const ETCD_MISSING: string | null =
  spawnSync(ETCD_BINARY, ['--version'], { stdio: 'ignore' }).status === 0 ? null : `no ${ETCD_BINARY} binary (Debian: apt-get install etcd-server)`;
if (ETCD_MISSING && process.env.SIGMA_REQUIRE_ETCD === '1') throw new Error(`SIGMA_REQUIRE_ETCD=1 but ${ETCD_MISSING}`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The flags of `sigma serve` that join the fleet on `endpoints` as `name`, with its labels. */
export function fleetArgs(endpoints: readonly string[], name: string, ...labels: string[]): string[] {
  return ['--fleet', endpoints.join(','), '--node-name', name, ...labels.flatMap((label) => ['--node-label', label])];
}

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  child: ChildProcess | null;
}

export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly dataDir: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const dataDir = mkdtempSync(join(tmpdir(), 'sigma-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, child: null });
    }
    const cluster = new EtcdCluster(members, dataDir);
    for (const member of members) cluster.launch(member, 'new');
    await cluster.waitHealthy();
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.clientUrl);
  }

  get pids(): number[] {
    return this.members.flatMap((member) => (member.child?.pid ? [member.child.pid] : []));
  }

  /** SIGKILL to one member, as a machine that dies. */
  async kill(index: number): Promise<void> {
    await this.end(this.members[index] as Member);
  }

  async killAll(): Promise<void> {
    await Promise.all(this.members.map((member) => this.end(member)));
  }

  /** The members that are not running start again on their data dirs. */
  async restart(): Promise<void> {
    for (const member of this.members) if (!member.child) this.launch(member, 'existing');
    await this.waitHealthy();
  }

  async stop(): Promise<void> {
    await this.killAll();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private launch(member: Member, state: 'new' | 'existing'): void {
    const cluster = this.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    member.child = spawn(
      ETCD_BINARY,
      [
        '--name', member.name,
        '--data-dir', join(this.dataDir, member.name),
        '--listen-client-urls', member.clientUrl,
        '--advertise-client-urls', member.clientUrl,
        '--listen-peer-urls', member.peerUrl,
        '--initial-advertise-peer-urls', member.peerUrl,
        '--initial-cluster', cluster,
        '--initial-cluster-state', state,
        '--initial-cluster-token', 'sigma-test',
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--log-level', 'error',
      ],
      { stdio: 'ignore' },
    );
  }

  private async end(member: Member): Promise<void> {
    const child = member.child;
    member.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private async waitHealthy(): Promise<void> {
    const live = this.members.filter((member) => member.child);
    await waitFor(
      'every etcd member to say it is healthy',
      async () => {
        const answers = await Promise.all(
          live.map((member) =>
            fetch(`${member.clientUrl}/health`, { signal: AbortSignal.timeout(1000) })
              .then((response) => response.json() as Promise<{ health?: string }>)
              .then((body) => body.health === 'true')
              .catch(() => false),
          ),
        );
        return answers.every(Boolean);
      },
      (healthy) => healthy,
      20_000,
    );
  }
}
