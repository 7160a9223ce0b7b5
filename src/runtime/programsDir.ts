// Resolves a process name to the executable of that name in the programs directory, and
// refuses anything (a symlink included) that would run a file outside it.
import { accessSync, closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
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

/** A program opened once and checked on its descriptor: what is executed from it is what was checked. */
export interface OpenedProgram {
  readonly fd: number;
  /** Its path inside the directory, as the job's argv[0]. */
  readonly path: string;
}

/**
 * Opens the program (following links) and checks the file that was opened, not a path that could
 * be swapped afterwards: inside the directory, a regular file, executable by someone. The caller
 * executes it through /proc/self/fd and closes the descriptor.
 */
export function openProgram(programsDir: string, name: string): OpenedProgram {
  resolveProgram(programsDir, name);
  const dir = realpathSync(programsDir);
  const path = join(programsDir, name);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch {
    throw new ProgramNotFoundError(`"${name}" in the programs directory ${programsDir} cannot be opened`);
  }
  try {
    const real = readlinkSync(`/proc/self/fd/${fd}`);
    if (!real.startsWith(dir + sep)) throw new ProgramNotFoundError(`"${name}" in the programs directory points outside it (to ${real}); refused`);
    const status = fstatSync(fd);
    if (!status.isFile() || (status.mode & 0o111) === 0) throw new ProgramNotFoundError(`"${name}" in the programs directory ${programsDir} is not an executable file`);
    return { fd, path };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
