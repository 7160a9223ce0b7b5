// A terminal in a fresh clone's directory, for a doc's examples: each block runs in bash there,
// with the variables the blocks before it set, and `sigma` (or `npx sigma`) the built command line.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLI_PATH } from './sigmaDaemon.js';

export interface BlockResult {
  /** stdout and stderr as a terminal shows them, in the order written. */
  output: string;
  status: number | null;
}

/** Names a block assigns at the start of a line (`NAME=...` or `export NAME=...`). */
function assignedNames(command: string): string[] {
  return [...command.matchAll(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((match) => match[1] as string);
}

/** Names a block unsets (`unset NAME`): gone for the blocks after it too. */
function unsetNames(command: string): string[] {
  return [...command.matchAll(/^\s*unset\s+([A-Za-z_][A-Za-z0-9_]*)\s*$/gm)].map((match) => match[1] as string);
}

export class ExampleShell {
  private readonly stateFile: string;
  private readonly env: NodeJS.ProcessEnv;
  /** The status of the block before, as `$?` (a transcript's `echo $?` reads it). */
  private lastStatus = 0;

  /** `cloneDir` holds the data dir (`sigma-data`) as `npm start` left it; `repoDir` the built clone. */
  constructor(
    readonly cloneDir: string,
    repoDir: string,
  ) {
    const binDir = join(cloneDir, '.example-bin');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'sigma'), `#!/bin/sh\nexec '${process.execPath}' '${CLI_PATH}' "$@"\n`);
    const realNpx = join(dirname(process.execPath), 'npx');
    writeFileSync(join(binDir, 'npx'), `#!/bin/sh\nif [ "$1" = sigma ]; then shift; exec sigma "$@"; fi\nexec '${realNpx}' "$@"\n`);
    chmodSync(join(binDir, 'sigma'), 0o755);
    chmodSync(join(binDir, 'npx'), 0o755);
    // As in a clone after `npm ci`: npx finds the project's tools there, without the registry.
    symlinkSync(join(repoDir, 'node_modules'), join(cloneDir, 'node_modules'));
    this.stateFile = join(cloneDir, '.example-variables');
    writeFileSync(this.stateFile, '');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SIGMA_')));
    this.env = { ...inherited, PATH: `${binDir}:${process.env.PATH ?? ''}`, LC_ALL: 'C', NO_COLOR: '1' };
  }

  run(command: string, timeoutMs: number): Promise<BlockResult> {
    const keep = [
      ...assignedNames(command).map((name) => `declare -p ${name} >> '${this.stateFile}' 2>/dev/null`),
      ...unsetNames(command).map((name) => `echo 'unset ${name}' >> '${this.stateFile}'`),
    ].join('\n');
    const script = `exec 2>&1\nsource '${this.stateFile}'\n(exit ${this.lastStatus})\n${command}\n__status=$?\n${keep}\nexit $__status\n`;
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: this.cloneDir, env: this.env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const timer = setTimeout(() => {
        // The block's own process group: bash and whatever it started.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`the block did not end within ${timeoutMs} ms; it printed:\n${output}`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (status) => {
        clearTimeout(timer);
        this.lastStatus = status ?? 128;
        resolve({ output, status });
      });
    });
  }
}
