// What the daemon said at warn level and above during the soak (its log is pino JSON lines).
import { readFileSync } from 'node:fs';

export interface DaemonLogSummary {
  readonly warnings: number;
  readonly errors: number;
  /** The first few warn-or-worse messages, for the report. */
  readonly firstMessages: string[];
}

const WARN = 40;
const ERROR = 50;
const MESSAGES_KEPT = 10;

export function summarizeDaemonLog(path: string): DaemonLogSummary {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { warnings: 0, errors: 0, firstMessages: [] };
  }
  let warnings = 0;
  let errors = 0;
  const firstMessages: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) {
      // Not pino: an unexpected failure printed as plain text.
      if (line.trim() !== '') {
        errors += 1;
        if (firstMessages.length < MESSAGES_KEPT) firstMessages.push(line.slice(0, 300));
      }
      continue;
    }
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const level = entry.level ?? 0;
    if (level < WARN) continue;
    if (level >= ERROR) errors += 1;
    else warnings += 1;
    if (firstMessages.length < MESSAGES_KEPT) firstMessages.push(`${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 300));
  }
  return { warnings, errors, firstMessages };
}
