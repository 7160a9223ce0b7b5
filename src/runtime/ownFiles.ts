// Reading and writing the daemon's own small files in its data dir (token, node id, daemon.json,
// the generated key and certificate): never through a symbolic link, never into a file that was
// there before, and a replaced file is there whole or not at all.
import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** The file's text, or null when there is none. A link or anything but a regular file is an error. */
export function readOwnFile(path: string): string | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the daemon before it is found out.
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw explained(error as NodeJS.ErrnoException, path);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the file whole: written and synced under a temporary name beside it, then renamed over
 * it. A rename replaces a link that is there, never what it points to.
 */
export function replaceOwnFile(path: string, text: string, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  // One a daemon of the same pid left: unlinking never follows a link either.
  rmSync(temporary, { force: true });
  let fd: number;
  try {
    fd = openSync(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  } catch (error) {
    throw explained(error as NodeJS.ErrnoException, temporary);
  }
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function explained(error: NodeJS.ErrnoException, path: string): Error {
  if (error.code === 'ELOOP') return new Error(`${path} is a symbolic link: sigma follows none in its data dir`);
  return error;
}
