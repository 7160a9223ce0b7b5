// The bench's C programs, compiled with the machine's cc into a temp dir (once per run).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './sigmaDaemon.js';

export interface NativePrograms {
  /** The release child: prints its first CLOCK_REALTIME reading and SIGMA_RELEASE_AT_MS. */
  readonly stamp: readonly string[];
  /** The clock_nanosleep + posix_spawn loop; null without a C compiler. */
  readonly periodicSpawner: string | null;
  readonly note: string | null;
}

let built: NativePrograms | null = null;

export function nativePrograms(): NativePrograms {
  if (built) return built;
  const dir = tempDir('native');
  const source = (name: string): string => fileURLToPath(new URL(`../native/${name}`, import.meta.url));
  const compile = (name: string, output: string, flags: readonly string[]): boolean => {
    try {
      execFileSync('cc', ['-O2', ...flags, '-o', output, source(name)], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };
  const stampPath = join(dir, 'stamp');
  const spawnerPath = join(dir, 'periodicSpawner');
  // Static when the C library allows it: the child then reads the clock before any dynamic loading.
  const stampBuilt = compile('stamp.c', stampPath, ['-static']) || compile('stamp.c', stampPath, []);
  const spawnerBuilt = compile('periodicSpawner.c', spawnerPath, []);
  built = stampBuilt
    ? { stamp: [stampPath], periodicSpawner: spawnerBuilt ? spawnerPath : null, note: spawnerBuilt ? null : 'cc could not build periodicSpawner.c' }
    : {
        // Without cc: the same facts from the shell, a few hundred microseconds later.
        stamp: ['/bin/sh', '-c', 'echo "stamp $(date +%s%N | sed -E "s/(.{6})$/.\\1/") ${SIGMA_RELEASE_AT_MS:--}"'],
        periodicSpawner: null,
        note: 'no C compiler (cc): the C figure is not measured',
      };
  return built;
}
