// Builds the native launcher (native/launcher/*.c) into dist/launcher/sigma-launcher with the
// machine's C compiler, warnings as errors. Where no compiler is found it says so and builds
// nothing: the daemon then runs jobs in its own process (GET /node says "in-process").
//   node scripts/build-launcher.mjs              the launcher
//   node scripts/build-launcher.mjs --sanitize   also dist/launcher/sigma-launcher-asan (ASan + UBSan)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native', 'launcher');
const outDir = join(root, 'dist', 'launcher');
const sources = readdirSync(sourceDir).filter((name) => name.endsWith('.c')).map((name) => join(sourceDir, name));
const COMMON = ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-Werror', '-Wshadow', '-Wformat=2', '-Wno-format-nonliteral'];

function compiler() {
  for (const candidate of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

const cc = compiler();
mkdirSync(outDir, { recursive: true });
if (cc === null) {
  rmSync(join(outDir, 'sigma-launcher'), { force: true });
  console.warn('sigma: no C compiler found (cc, gcc, clang): the launcher is not built; jobs will run in the daemon\'s own process');
  process.exit(0);
}
const build = (output, flags) => execFileSync(cc, [...COMMON, ...flags, '-o', join(outDir, output), ...sources, '-pthread'], { stdio: 'inherit' });
build('sigma-launcher', ['-O2']);
// Its starters are forked there: a child sharing the launcher's memory would run the sanitizers'
// runtime beside the launcher's (starter.c).
if (process.argv.includes('--sanitize')) {
  build('sigma-launcher-asan', ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-DSIGMA_STARTER_FORK']);
}
