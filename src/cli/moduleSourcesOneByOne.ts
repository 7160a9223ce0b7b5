// A module-loading hook (node:module register) that reads each ES module's source at once and
// synchronously. Node.js 20 reads the modules of a level of the import graph concurrently, a
// descriptor each until read: the daemon's graph takes about 125 at its widest, more than a small
// RLIMIT_NOFILE allows. `sigma serve` registers it only under such a limit: it runs on a thread of
// its own and slows the start down.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface LoadContext {
  readonly format?: string | null;
}

interface LoadResult {
  readonly format?: string | null;
  readonly source?: string | ArrayBuffer | Uint8Array | null;
  readonly shortCircuit?: boolean;
}

export function load(url: string, context: LoadContext, nextLoad: (url: string, context: LoadContext) => Promise<LoadResult>): Promise<LoadResult> | LoadResult {
  if (url.startsWith('file:') && context.format === 'module') {
    return { format: 'module', source: readFileSync(fileURLToPath(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
