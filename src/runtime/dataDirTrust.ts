// Whether a data dir may be trusted, checked before the daemon reads anything in it: the dir and
// every file sigma reads or writes there must be the daemon user's, writable by nobody else, and
// no symbolic link; the directories above it must be root's or the daemon user's and writable by
// nobody else (unless sticky, as /tmp), so that no other user can swap the data dir itself.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export class UntrustedDataDirError extends Error {}

export type EntryKind = 'directory' | 'file' | 'socket';

export interface DataDirEntry {
  readonly path: string;
  readonly kind: EntryKind;
}

/** The names the daemon and the launcher use in the data dir (relative to it). */
const ENTRIES: ReadonlyArray<readonly [string, EntryKind]> = [
  ['token', 'file'],
  ['daemon.json', 'file'],
  ['node-id', 'file'],
  ['sigma.db', 'file'],
  ['sigma.db-wal', 'file'],
  ['sigma.db-shm', 'file'],
  ['tls', 'directory'],
  ['tls/cert.pem', 'file'],
  ['tls/key.pem', 'file'],
  ['logs', 'directory'],
  ['launcher.sock', 'socket'],
  ['launcher.sock.lock', 'file'],
  ['launcher.log', 'file'],
  ['launcher.log.1', 'file'],
];
/** A process's log and its rotated copy (`processLogs.ts`, the launcher's `logs.c`). */
const LOG_FILE_NAME = /^\d+\.(stdout|stderr)\.log(\.1)?$/;
/** As the kernel's limit on links followed while resolving one path. */
const MAX_LINKS_FOLLOWED = 40;

const INSIDE_ADVICE = 'another user could have put there what the daemon would trust: make it the daemon user\'s and writable by that user only (chown, chmod go-w), or give another --data-dir';
const KIND_ADVICE = 'sigma follows no link in its data dir, and uses there only what it made: move it away, or give another --data-dir';
const ABOVE_ADVICE = 'another user could swap the data dir for one of their own: keep it below directories only root or the daemon\'s user can write, or give another --data-dir';

/**
 * Throws UntrustedDataDirError naming the first path found unsafe and why. The data dir must
 * exist. The programs dir is checked too when it lies inside the data dir.
 */
export function checkDataDir(dataDir: string, programsDir: string, uid: number): void {
  const real = checkAbove(resolve(dataDir), uid, 0);
  const status = lstatSync(real);
  refuseIf(`the data dir ${real}`, foreignOwner(status, uid) ?? writableByOthers(status), INSIDE_ADVICE);
  for (const entry of dataDirEntries(dataDir, programsDir)) {
    let entryStatus: Stats;
    try {
      entryStatus = lstatSync(entry.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    refuseIf(entry.path, kindMismatch(entryStatus, entry.kind), KIND_ADVICE);
    refuseIf(entry.path, foreignOwner(entryStatus, uid) ?? writableByOthers(entryStatus), INSIDE_ADVICE);
  }
}

/** Every path the check covers that exists now, or could (the log files present now). */
export function dataDirEntries(dataDir: string, programsDir: string): DataDirEntry[] {
  const entries: DataDirEntry[] = ENTRIES.map(([name, kind]) => ({ path: join(dataDir, name), kind }));
  const logsDir = join(dataDir, 'logs');
  let logNames: string[] = [];
  try {
    if (lstatSync(logsDir).isDirectory()) logNames = readdirSync(logsDir);
  } catch {
    // No logs yet.
  }
  for (const name of logNames) if (LOG_FILE_NAME.test(name)) entries.push({ path: join(logsDir, name), kind: 'file' });
  // The programs dir and every directory between it and the data dir.
  const inside = relative(resolve(dataDir), resolve(programsDir));
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) {
    let path = resolve(dataDir);
    for (const name of inside.split(sep)) {
      path = join(path, name);
      entries.push({ path, kind: 'directory' });
    }
  }
  return entries;
}

/**
 * Walks the path as the kernel resolves it, checking each directory it passes and each link it
 * follows; returns the real path. Only the data dir's own modes are left to the caller.
 */
function checkAbove(path: string, uid: number, linksFollowed: number): string {
  let current = '/';
  const names = path.split('/').filter((name) => name !== '');
  for (const [index, name] of names.entries()) {
    checkDirectoryAbove(current, uid);
    const next = join(current, name);
    const status = lstatSync(next);
    if (status.isSymbolicLink()) {
      if (linksFollowed >= MAX_LINKS_FOLLOWED) throw new UntrustedDataDirError(`${path}: too many symbolic links to follow`);
      // Whoever owns a link in a sticky directory can point it elsewhere.
      refuseIf(`${next}, a link on the way to the data dir,`, ownerOtherThanRootOr(status, uid), ABOVE_ADVICE);
      current = checkAbove(resolve(current, readlinkSync(next)), uid, linksFollowed + 1);
    } else {
      current = next;
    }
    if (index === names.length - 1) return current;
  }
  return current;
}

function checkDirectoryAbove(path: string, uid: number): void {
  const status = lstatSync(path);
  const sticky = (status.mode & 0o1000) !== 0;
  refuseIf(`${path}, a directory above the data dir,`, ownerOtherThanRootOr(status, uid) ?? (sticky ? null : writableByOthers(status)), ABOVE_ADVICE);
}

function refuseIf(subject: string, why: string | null, advice: string): void {
  if (why !== null) throw new UntrustedDataDirError(`${subject} ${why}: ${advice}`);
}

function kindMismatch(status: Stats, kind: EntryKind): string | null {
  if (status.isSymbolicLink()) return 'is a symbolic link';
  const matches = kind === 'directory' ? status.isDirectory() : kind === 'file' ? status.isFile() : status.isSocket();
  return matches ? null : `is not a ${kind === 'file' ? 'regular file' : kind}`;
}

function foreignOwner(status: Stats, uid: number): string | null {
  return status.uid === uid ? null : `is owned by uid ${status.uid}, not by the daemon's user (uid ${uid})`;
}

function ownerOtherThanRootOr(status: Stats, uid: number): string | null {
  return status.uid === uid || status.uid === 0 ? null : `is owned by uid ${status.uid}, neither root nor the daemon's user (uid ${uid})`;
}

function writableByOthers(status: Stats): string | null {
  const group = (status.mode & 0o020) !== 0;
  const others = (status.mode & 0o002) !== 0;
  if (!group && !others) return null;
  const mode = (status.mode & 0o7777).toString(8).padStart(4, '0');
  return `is writable by ${group && others ? 'its group and others' : group ? 'its group' : 'others'} (mode ${mode})`;
}
