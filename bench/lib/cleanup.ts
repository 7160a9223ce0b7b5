// Everything the bench starts is registered here and ended by pid at the end, on failure and on
// Ctrl-C: daemons get SIGTERM (they end their own jobs), then SIGKILL with their descendants.
import type { ChildProcess } from 'node:child_process';
import { descendantsOf, isAlive } from './procfs.js';

interface Tracked {
  readonly pid: number;
  readonly label: string;
  /** SIGTERM first and wait this long before SIGKILL; 0 kills at once. */
  readonly graceMs: number;
  readonly exited: Promise<void>;
  /** Ends it the owner's way (e.g. PM2's killDaemon); then the pid is checked as for any other. */
  readonly politeStop?: () => Promise<void>;
}

const tracked = new Map<number, Tracked>();
let stopping = false;

/** After Ctrl-C: nothing new is started, and the bench ends what it has. */
export function beginStopping(): void {
  stopping = true;
}

export function refuseWhenStopping(what: string): void {
  if (stopping) throw new Error(`interrupted: not starting ${what}`);
}

export function track(child: ChildProcess, label: string, graceMs = 5000, politeStop?: () => Promise<void>): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  tracked.set(pid, { pid, label, graceMs, exited, ...(politeStop ? { politeStop } : {}) });
  void exited.then(() => tracked.delete(pid));
}

/** A process the bench did not spawn itself but caused (the PM2 or supervisord daemon). */
export function trackPid(pid: number, label: string, graceMs = 5000, politeStop?: () => Promise<void>): void {
  const exited = (async () => {
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
  })();
  tracked.set(pid, { pid, label, graceMs, exited, ...(politeStop ? { politeStop } : {}) });
  void exited.then(() => tracked.delete(pid));
}

export async function end(pid: number): Promise<void> {
  const entry = tracked.get(pid);
  if (!entry) return;
  const family = descendantsOf(pid);
  if (entry.politeStop) {
    await withDeadline(entry.politeStop().catch(() => {}), entry.graceMs);
  }
  if (isAlive(pid)) {
    signal(pid, entry.graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    await withDeadline(entry.exited, entry.graceMs);
    if (isAlive(pid)) signal(pid, 'SIGKILL');
  }
  await withDeadline(entry.exited, 2000);
  // Whatever it left behind (jobs of a daemon killed outright) goes too.
  for (const child of family) if (isAlive(child)) signal(child, 'SIGKILL');
  tracked.delete(pid);
}

export async function endAll(): Promise<void> {
  await Promise.all([...tracked.keys()].map((pid) => end(pid)));
}

/** Last resort, synchronous: on process exit nothing can be awaited. */
export function killAllNow(): void {
  for (const { pid } of tracked.values()) {
    for (const child of descendantsOf(pid)) signal(child, 'SIGKILL');
    signal(pid, 'SIGKILL');
  }
}

export function trackedLabels(): string[] {
  return [...tracked.values()].map((entry) => `${entry.label} (pid ${entry.pid})`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
