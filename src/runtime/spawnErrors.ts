// What a failed spawn's errno means, in the words a failed run shows, for both hosts of jobs.

/** The meaning of a spawn's errno; `spawner` is what opened too many files (the daemon or its launcher). */
export function spawnErrorMeaning(code: string, spawner: 'daemon' | 'launcher'): string | null {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied (is it executable?)';
    case 'EAGAIN':
      return 'fork refused: process limit reached';
    case 'ENOEXEC':
      return 'not an executable format';
    case 'E2BIG':
      return 'argument list too long';
    case 'EMFILE':
      return `too many open files in the ${spawner}`;
    case 'ENFILE':
      return 'too many open files on the node';
    case 'ENOMEM':
      return 'out of memory';
    case 'EPERM':
      return 'operation not permitted';
    default:
      return null;
  }
}
