// PM2 as a peer: installed with npm into a cache dir of its own, its daemon run with its own
// PM2_HOME in a temp dir, driven through its programmatic API.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { end, refuseWhenStopping, trackPid } from './cleanup.js';
import { tempDir } from './sigmaDaemon.js';

const INSTALL_DIR = join(tmpdir(), 'sigma-bench-cache', 'pm2');

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Pm2App {
  readonly name: string;
  readonly status: string;
  readonly restarts: number;
}

/** PM2's package path, installed with npm if it is not there yet; or why not. */
export function ensurePm2(log: (line: string) => void): { path: string } | { skipped: string } {
  const packageDir = join(INSTALL_DIR, 'node_modules', 'pm2');
  if (existsSync(join(packageDir, 'package.json'))) return { path: packageDir };
  log(`  installing pm2 with npm into ${INSTALL_DIR}...`);
  try {
    mkdirSync(INSTALL_DIR, { recursive: true });
    execFileSync('npm', ['install', '--prefix', INSTALL_DIR, '--no-audit', '--no-fund', '--loglevel=error', 'pm2'], { stdio: 'pipe', timeout: 240_000 });
  } catch (error) {
    return { skipped: `npm install pm2 failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(0, 200)}` };
  }
  return existsSync(join(packageDir, 'package.json')) ? { path: packageDir } : { skipped: 'pm2 not found after npm install' };
}

export class Pm2 {
  private constructor(
    private readonly api: any,
    readonly pid: number,
    readonly version: string,
  ) {}

  static async start(packageDir: string): Promise<Pm2> {
    refuseWhenStopping('the PM2 daemon');
    const home = tempDir('pm2home');
    // PM2 reads its home from the environment when it is loaded.
    process.env.PM2_HOME = home;
    const require = createRequire(join(packageDir, 'package.json'));
    const PM2 = require(packageDir).custom;
    const api = new PM2({ pm2_home: home, daemon_mode: true });
    await new Promise<void>((resolve, reject) => api.connect((error: unknown) => (error ? reject(error) : resolve())));
    const pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    const pm2 = new Pm2(api, pid, version);
    trackPid(pid, 'PM2 daemon', 10_000, () => pm2.kill());
    return pm2;
  }

  private call<T>(method: string, ...args: unknown[]): Promise<T> {
    return new Promise((resolve, reject) => this.api[method](...args, (error: unknown, result: T) => (error ? reject(error) : resolve(result))));
  }

  startApp(name: string, command: string, args: readonly string[]): Promise<unknown> {
    return this.call('start', { name, script: command, args: [...args], interpreter: 'none', autorestart: false });
  }

  restart(name: string): Promise<unknown> {
    return this.call('restart', name);
  }

  stopApp(name: string): Promise<unknown> {
    return this.call('stop', name);
  }

  async list(): Promise<Pm2App[]> {
    const apps = await this.call<any[]>('list');
    return apps.map((app) => ({ name: app.name as string, status: app.pm2_env?.status as string, restarts: Number(app.pm2_env?.restart_time ?? 0) }));
  }

  async kill(): Promise<void> {
    await this.call('killDaemon').catch(() => {});
    this.api.disconnect();
  }

  async stop(): Promise<void> {
    await end(this.pid);
  }
}
