// supervisord as a peer: installed with apt if missing, run with its own config in a temp dir,
// driven through XML-RPC on loopback.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { end, refuseWhenStopping, track } from './cleanup.js';
import { freePort, tempDir } from './sigmaDaemon.js';

export interface ProgramSpec {
  readonly name: string;
  readonly command: string;
  readonly autostart: boolean;
}

function supervisordPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v supervisord'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function supervisordPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('supervisord')) pids.add(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** The path of supervisord, installed (Debian's package, as root) if it is missing; or why not. */
export function ensureSupervisord(log: (line: string) => void): { path: string } | { skipped: string } {
  const found = supervisordPath();
  if (found) return { path: found };
  if (process.getuid?.() !== 0) return { skipped: 'supervisord is not installed and the bench is not root (apt-get install supervisor)' };
  log('  installing supervisor with apt-get...');
  const before = supervisordPids();
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq supervisor'], { stdio: 'pipe', timeout: 240_000 });
  } catch (error) {
    return { skipped: `apt-get install supervisor failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(0, 200)}` };
  }
  // A package that starts its system service: that daemon is ours to end.
  for (const pid of supervisordPids()) {
    if (before.has(pid)) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const installed = supervisordPath();
  return installed ? { path: installed } : { skipped: 'supervisord not found after apt-get install supervisor' };
}

export class Supervisord {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  private constructor(
    readonly pid: number,
    private readonly port: number,
  ) {}

  static async start(binary: string, programs: readonly ProgramSpec[]): Promise<Supervisord> {
    refuseWhenStopping('supervisord');
    const dir = tempDir('supervisord');
    mkdirSync(join(dir, 'logs'));
    const port = await freePort();
    const config = [
      '[supervisord]',
      'nodaemon=true',
      'user=root',
      `logfile=${join(dir, 'supervisord.log')}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${join(dir, 'logs')}`,
      'loglevel=warn',
      '[inet_http_server]',
      `port=127.0.0.1:${port}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      ...programs.flatMap((program) => [
        `[program:${program.name}]`,
        `command=${program.command}`,
        `autostart=${program.autostart}`,
        'autorestart=false',
        // Started once the process runs, as sigma and PM2 answer; supervisord's default waits 1 s.
        'startsecs=0',
        'stopwaitsecs=5',
      ]),
    ].join('\n');
    const configPath = join(dir, 'supervisord.conf');
    writeFileSync(configPath, `${config}\n`);
    const child = spawn(binary, ['-c', configPath, '-n'], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    track(child, 'supervisord', 15_000);
    const supervisord = new Supervisord(child.pid as number, port);
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        const infos = await supervisord.allProcessInfo();
        const wanted = programs.filter((program) => program.autostart).length;
        if (infos.filter((info) => info.state === 'RUNNING').length >= wanted) break;
      } catch {
        // Not listening yet.
      }
      if (performance.now() > deadline) throw new Error('supervisord did not start its programs within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return supervisord;
  }

  call(method: string, params: ReadonlyArray<string | boolean> = []): Promise<string> {
    const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params
      .map((param) => `<param><value>${typeof param === 'boolean' ? `<boolean>${param ? 1 : 0}</boolean>` : `<string>${param}</string>`}</value></param>`)
      .join('')}</params></methodCall>`;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, path: '/RPC2', method: 'POST', agent: this.agent, headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => (text.includes('<fault>') ? reject(new Error(`${method}: ${text.slice(0, 300)}`)) : resolve(text)));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async allProcessInfo(): Promise<Array<{ name: string; state: string }>> {
    const xml = await this.call('supervisor.getAllProcessInfo');
    const infos: Array<{ name: string; state: string }> = [];
    for (const struct of xml.split('<struct>').slice(1)) {
      const name = /<name>name<\/name>\s*<value>\s*(?:<string>)?([^<]*)</.exec(struct)?.[1];
      const state = /<name>statename<\/name>\s*<value>\s*(?:<string>)?([^<]*)</.exec(struct)?.[1];
      if (name && state) infos.push({ name, state });
    }
    return infos;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await end(this.pid);
  }
}
