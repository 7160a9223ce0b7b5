// Small file systems a test can fill up or make read-only: a tmpfs of a given size, or an ext4 on a
// loop device. Needs root (mount); each is unmounted, and its loop device freed, by unmountDisks
// (call it from afterEach, after the daemons on it are gone).
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

interface Mounted {
  readonly dir: string;
  readonly mountPoint: string;
  /** The loop device of an ext4, null for a tmpfs. */
  loopDevice: string | null;
}

const mounted: Mounted[] = [];

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A tmpfs of `sizeBytes`; throws (the test skips) where mount is refused. */
export function mountTmpfs(sizeBytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigma-disk-'));
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', mountPoint]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  mounted.push({ dir, mountPoint, loopDevice: null });
  return mountPoint;
}

/** An ext4 of `sizeBytes` on a loop device, mounted so that a file system error makes it read-only. */
export function mountLoopExt4(sizeBytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigma-disk-'));
  const image = join(dir, 'disk.img');
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  try {
    writeFileSync(image, '');
    run('truncate', ['-s', String(sizeBytes), image]);
    run('mkfs.ext4', ['-q', image]);
    run('mount', ['-o', 'loop,errors=remount-ro', image, mountPoint]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const entry: Mounted = { dir, mountPoint, loopDevice: null };
  mounted.push(entry);
  entry.loopDevice = run('findmnt', ['-n', '-o', 'SOURCE', mountPoint]).trim();
  return mountPoint;
}

/**
 * Makes a mounted ext4 read-only under the daemon's open files (a plain `remount,ro` is refused
 * while a file is open for writing): a file system error, which `errors=remount-ro` answers so.
 * It stays read-only until it is unmounted.
 */
export function makeReadOnly(mountPoint: string): void {
  const entry = mounted.find((candidate) => candidate.mountPoint === mountPoint);
  if (!entry?.loopDevice) throw new Error(`${mountPoint} is not a loop-mounted ext4 of this test`);
  writeFileSync(`/sys/fs/ext4/${basename(entry.loopDevice)}/trigger_fs_error`, 'sigma test: read-only disk\n');
}

/** Fills a file system to the last byte with one file; `leaveFree` then gives space back. */
export class DiskFiller {
  private readonly path: string;

  constructor(mountPoint: string) {
    this.path = join(mountPoint, 'filler');
    this.fill();
  }

  /** Takes every free byte (again). */
  fill(): void {
    const fd = openSync(this.path, 'a');
    try {
      for (const chunkBytes of [1 << 20, 1 << 16, 4096, 1]) {
        const chunk = Buffer.alloc(chunkBytes, 0x5a);
        for (;;) {
          try {
            writeSync(fd, chunk);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Frees about `bytes` (the file system counts whole pages). */
  leaveFree(bytes: number): void {
    const fd = openSync(this.path, 'r+');
    try {
      ftruncateSync(fd, Math.max(0, fstatSync(fd).size - bytes));
    } finally {
      closeSync(fd);
    }
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** Unmounts every file system of the test and frees its loop device and directory. */
export function unmountDisks(): void {
  for (const { dir, mountPoint, loopDevice } of mounted.splice(0).reverse()) {
    try {
      run('umount', [mountPoint]);
    } catch {
      run('umount', ['-l', mountPoint]);
    }
    if (loopDevice) {
      try {
        run('losetup', ['-d', loopDevice]);
      } catch {
        // Freed with the mount already (autoclear).
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
