// Everything the bench starts is registered here and ended by pid at the end, on failure and on
// Ctrl-C: daemons get SIGTERM (they end their own jobs), then SIGKILL with their descendants.
// A daemon's native launcher outlives a daemon killed outright, with every job: once no daemon
// that held it is alive, every descendant of the launcher (a subreaper: each process of its jobs
// is one) is killed, round after round, then the launcher, then the daemon's job cgroups.
import type { ChildProcess } from 'node:child_process';
import { removeJobCgroups, removeJobCgroupsNow } from './jobCgroups.js';
import { descendantsOf, isAlive, startTimeOf } from './procfs.js';

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

interface TrackedLauncher {
  readonly pid: number;
  /** Its start time when first seen: a pid reused later is never signalled. */
  readonly startTime: string | null;
  /** The daemons that held it (started or adopted it); it is ended once none of them is alive. */
  readonly holders: Set<number>;
  /** The job cgroup parents of those daemons (GET /node), removed once it has ended. */
  readonly cgroupParents: Set<string>;
}

const launchers = new Map<number, TrackedLauncher>();

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

/** A daemon's launcher (GET /node's launcherPid), ended with endLauncherOf or endAll. */
export function trackLauncher(pid: number, holderPid: number, cgroupParent: string | null): void {
  let entry = launchers.get(pid);
  if (!entry || entry.startTime !== startTimeOf(pid)) {
    entry = { pid, startTime: startTimeOf(pid), holders: new Set(), cgroupParents: new Set() };
    launchers.set(pid, entry);
  }
  entry.holders.add(holderPid);
  if (cgroupParent) entry.cgroupParents.add(cgroupParent);
}

/**
 * After a daemon has ended: its launcher, once no other daemon that held it is alive (a daemon that
 * replaced it, or adopted it after a kill, holds it still).
 */
export async function endLauncherOf(holderPid: number): Promise<void> {
  for (const entry of [...launchers.values()]) {
    if (!entry.holders.has(holderPid)) continue;
    if ([...entry.holders].some((holder) => holder !== holderPid && isAlive(holder))) continue;
    await endLauncher(entry);
  }
}

function isSameLauncher(entry: TrackedLauncher): boolean {
  return entry.startTime !== null && startTimeOf(entry.pid) === entry.startTime && isAlive(entry.pid);
}

async function endLauncher(entry: TrackedLauncher): Promise<void> {
  launchers.delete(entry.pid);
  // After a clean stop of its daemon it exits by itself, once its jobs have ended.
  for (let waited = 0; waited < 2000 && isSameLauncher(entry); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  for (let round = 0; round < 20 && isSameLauncher(entry); round += 1) {
    const family = descendantsOf(entry.pid);
    if (family.length === 0) break;
    for (const child of family) signal(child, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (isSameLauncher(entry)) signal(entry.pid, 'SIGKILL');
  for (let waited = 0; waited < 5000 && isSameLauncher(entry); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const parent of entry.cgroupParents) await removeJobCgroups(parent);
}

export async function end(pid: number): Promise<void> {
  const entry = tracked.get(pid);
  if (!entry) return;
  // A launcher among them is left to endLauncherOf: another daemon may hold it.
  const family = descendantsOf(pid).filter((child) => !launchers.has(child));
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
  // No daemon is left: every launcher goes, with its jobs and job cgroups.
  for (const entry of [...launchers.values()]) await endLauncher(entry);
}

/** Last resort, synchronous: on process exit nothing can be awaited. */
export function killAllNow(): void {
  for (const { pid } of tracked.values()) {
    for (const child of descendantsOf(pid)) signal(child, 'SIGKILL');
    signal(pid, 'SIGKILL');
  }
  for (const entry of launchers.values()) {
    if (!isSameLauncher(entry)) continue;
    for (const child of descendantsOf(entry.pid)) signal(child, 'SIGKILL');
    signal(entry.pid, 'SIGKILL');
  }
  for (const entry of launchers.values()) for (const parent of entry.cgroupParents) removeJobCgroupsNow(parent);
  launchers.clear();
}

export function trackedLabels(): string[] {
  return [
    ...[...tracked.values()].map((entry) => `${entry.label} (pid ${entry.pid})`),
    ...[...launchers.values()].map((entry) => `sigma-launcher (pid ${entry.pid})`),
  ];
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
