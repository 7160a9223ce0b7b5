// <data-dir>/node-id: the node's id beside its store, readable while another daemon holds the
// store locked (a daemon started with --replace needs it to reach the running launcher), and the
// node's name should its store lose it (emptied, or its WAL lost): the daemon then refuses to start.
import { join } from 'node:path';
import { readOwnFile, replaceOwnFile } from './ownFiles.js';

const FILE_NAME = 'node-id';

export function nodeIdFilePath(dataDir: string): string {
  return join(dataDir, FILE_NAME);
}

export function writeNodeIdFile(dataDir: string, nodeId: string): void {
  replaceOwnFile(nodeIdFilePath(dataDir), `${nodeId}\n`, 0o600);
}

/** The id, or null when the file is missing (a data dir of a sigma before it). */
export function readNodeIdFile(dataDir: string): string | null {
  try {
    return readOwnFile(join(dataDir, FILE_NAME))?.trim() || null;
  } catch {
    return null;
  }
}
