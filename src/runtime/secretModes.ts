// The data dir's secrets made owner-only again at every start: the token, the generated TLS key
// and its directory (an older sigma, a restore from a backup or a hand-made copy may have left
// them readable by others). Changed through a descriptor opened without following links.
import { closeSync, constants, fchmodSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

const SECRETS: ReadonlyArray<readonly [string, 'file' | 'directory']> = [
  ['token', 'file'],
  ['tls', 'directory'],
  ['tls/key.pem', 'file'],
];

export function tightenSecretModes(dataDir: string): void {
  for (const [name, kind] of SECRETS) {
    const path = join(dataDir, name);
    let fd: number;
    try {
      fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | (kind === 'directory' ? O_DIRECTORY : 0));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      const { mode } = fstatSync(fd);
      // Only when needed: a start on a read-only file system changes nothing.
      if ((mode & 0o077) !== 0) fchmodSync(fd, mode & 0o700);
    } finally {
      closeSync(fd);
    }
  }
}
