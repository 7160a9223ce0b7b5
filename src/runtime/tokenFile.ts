// The node token: given by the operator, or generated once into <data-dir>/token (mode 0600).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PARTITION_TOKEN_PREFIX } from '../core/partition.js';
import { readOwnFile, replaceOwnFile } from './ownFiles.js';

export interface NodeToken {
  readonly token: string;
  /** Set when this start generated the token file. */
  readonly generatedPath: string | null;
}

export function tokenPath(dataDir: string): string {
  return join(dataDir, 'token');
}

export function loadNodeToken(dataDir: string, given: string | null): NodeToken {
  if (given) return { token: given, generatedPath: null };
  const path = tokenPath(dataDir);
  const token = readOwnFile(path)?.trim() ?? '';
  if (token.startsWith(PARTITION_TOKEN_PREFIX)) {
    throw new Error(`the node token in ${path} begins with ${PARTITION_TOKEN_PREFIX}, as partition tokens do: write another, or delete the file to have one generated`);
  }
  if (token.length > 0) return { token, generatedPath: null };
  const generated = randomBytes(32).toString('base64url');
  replaceOwnFile(path, `${generated}\n`, 0o600);
  return { token: generated, generatedPath: path };
}
