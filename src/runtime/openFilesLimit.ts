// The daemon's descriptor limit (RLIMIT_NOFILE) as the kernel shows it in /proc/self/limits.
// Node.js raises the soft limit to the hard one when it starts (PlatformInit in its node.cc), so
// the soft limit read here is already the highest the daemon may use without privileges.
import { readFileSync } from 'node:fs';

export interface OpenFilesLimit {
  readonly soft: number;
  readonly hard: number;
}

/** `Max open files  <soft>  <hard>  files`; "unlimited" never occurs for descriptors (nr_open caps them). */
export function readOpenFilesLimit(limitsText = readFileSync('/proc/self/limits', 'utf8')): OpenFilesLimit {
  const line = limitsText.split('\n').find((candidate) => candidate.startsWith('Max open files'));
  const match = line ? /^Max open files\s+(\d+)\s+(\d+)/.exec(line) : null;
  if (!match) throw new Error('cannot read the descriptor limit from /proc/self/limits');
  return { soft: Number(match[1]), hard: Number(match[2]) };
}
