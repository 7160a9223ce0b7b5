// A small ext4 file system on a loop device, whose image can be cut as a power loss would leave
// it: the copy of its backing file holds what the kernel had written to the device, and nothing
// that was still only in the file system's page cache (never synced). Mounted with a long journal
// commit interval, so that only a sync by the daemon puts its writes on the device meanwhile.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IMAGE_BYTES = 32 * 1024 * 1024;
const COMMIT_INTERVAL_S = 600;

const run = (command: string, args: string[]): string => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export class PowerCutDisk {
  private device: string | null = null;
  private cuts = 0;

  private constructor(
    private readonly dir: string,
    private image: string,
    readonly mountPoint: string,
  ) {}

  /** Makes, attaches and mounts a fresh file system; throws, having left nothing, where it cannot. */
  static make(): PowerCutDisk {
    const dir = mkdtempSync(join(tmpdir(), 'sigma-power-cut-'));
    const disk = new PowerCutDisk(dir, join(dir, 'disk.img'), join(dir, 'mnt'));
    try {
      writeFileSync(disk.image, '');
      truncateSync(disk.image, IMAGE_BYTES);
      run('mkfs.ext4', ['-q', '-F', disk.image]);
      mkdirSync(disk.mountPoint);
      disk.attach();
      return disk;
    } catch (error) {
      disk.remove();
      throw error;
    }
  }

  /**
   * The power goes: the device's content as it is now becomes the disk, the page cache above it
   * is dropped, and the disk comes back (its journal replayed at mount). Whatever used the file
   * system must be dead before.
   */
  cut(): void {
    const cutImage = join(this.dir, `cut-${++this.cuts}.img`);
    copyFileSync(this.image, cutImage);
    this.detach();
    rmSync(this.image);
    this.image = cutImage;
    this.attach();
  }

  /** Unmounts, detaches and deletes everything it made. */
  remove(): void {
    try {
      this.detach();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private attach(): void {
    this.device = run('losetup', ['--find', '--show', this.image]);
    try {
      run('mount', ['-t', 'ext4', '-o', `commit=${COMMIT_INTERVAL_S}`, this.device, this.mountPoint]);
    } catch (error) {
      this.detach();
      throw error;
    }
  }

  private detach(): void {
    const device = this.device;
    if (device === null) return;
    this.device = null;
    if (isMountPoint(this.mountPoint)) {
      try {
        run('umount', [this.mountPoint]);
      } catch {
        // Still in use by something a failed test left: detached now, freed when that ends.
        run('umount', ['-l', this.mountPoint]);
      }
    }
    run('losetup', ['-d', device]);
  }
}

function isMountPoint(path: string): boolean {
  try {
    run('mountpoint', ['-q', path]);
    return true;
  } catch {
    return false;
  }
}
