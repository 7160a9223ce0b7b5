// <data-dir>/node-id: the node's id beside its store, readable while another daemon holds the
// store locked (a daemon started with --replace needs it to reach the running launcher).
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FILE_NAME = 'node-id';

export function writeNodeIdFile(dataDir: string, nodeId: string): void {
  const fd = openSync(join(dataDir, FILE_NAME), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${nodeId}\n`);
  } finally {
    closeSync(fd);
  }
}

/** The id, or null when the file is missing (a data dir of a sigma before it). */
export function readNodeIdFile(dataDir: string): string | null {
  try {
    return readFileSync(join(dataDir, FILE_NAME), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
