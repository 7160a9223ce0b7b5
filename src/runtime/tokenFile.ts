// The node token: given by the operator, or generated once into <data-dir>/token (mode 0600).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARTITION_TOKEN_PREFIX } from '../core/partition.js';

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
  if (existsSync(path)) {
    // A token file others can read is made owner-only again.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const token = readFileSync(path, 'utf8').trim();
    if (token.startsWith(PARTITION_TOKEN_PREFIX)) {
      throw new Error(`the node token in ${path} begins with ${PARTITION_TOKEN_PREFIX}, as partition tokens do: write another, or delete the file to have one generated`);
    }
    if (token.length > 0) return { token, generatedPath: null };
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, generatedPath: path };
}
