// Resolves a process name to the executable of that name in the programs directory, and
// refuses anything (a symlink included) that would run a file outside it.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ProgramNotFoundError } from '../errors/sigmaErrors.js';

export function resolveProgram(programsDir: string, name: string): string {
  if (name.includes('/') || name.includes('\0') || name === '.' || name === '..') {
    throw new ProgramNotFoundError(`"${name}" cannot name a program: it must not contain "/" or be "." or ".."`);
  }
  let dir: string;
  let real: string;
  try {
    dir = realpathSync(programsDir);
    real = realpathSync(join(dir, name));
  } catch {
    throw new ProgramNotFoundError(
      `no command was given and the programs directory ${programsDir} has no executable named "${name}": send "command" or install the program there`,
    );
  }
  if (!real.startsWith(dir + sep)) {
    throw new ProgramNotFoundError(`"${name}" in the programs directory points outside it (to ${real}); refused`);
  }
  try {
    if (!statSync(real).isFile()) throw new Error('not a file');
    accessSync(real, constants.X_OK);
  } catch {
    throw new ProgramNotFoundError(`"${name}" in the programs directory ${programsDir} is not an executable file`);
  }
  return real;
}
