// Turns the create form's fields into the body of POST /processes. Only what the form itself
// must interpret (the argv, the env lines) is checked here; everything else is the API's to judge.
import type { CreateRequest, ProcessType, RestartPolicyName } from './apiTypes.js';

export interface CreateFields {
  name: string;
  type: ProcessType;
  period: string;
  command: string;
  cwd: string;
  env: string;
  startNow: boolean;
  /** Empty: none chosen (the daemon decides). */
  partition: string;
  /** ONE_SHOT only; `never` sends no policy. */
  restartPolicy: RestartPolicyName;
  /** Empty: the daemon's default. */
  restartDelayMs: string;
  /** Empty: no deadline (and no action on a miss). */
  timeCapacityMs?: string;
  onDeadlineMiss?: 'log' | 'stop';
  /** Empty: the daemon's priority. */
  nice?: string;
  /** In a fleet only; absent or empty: none chosen (the daemon places it). */
  node?: string;
  relocatable?: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function createRequestOf(fields: CreateFields): Parsed<CreateRequest> {
  const request: CreateRequest = { name: fields.name.trim(), type: fields.type };
  if (fields.type === 'PERIODIC' && fields.period.trim() !== '') {
    const text = fields.period.trim();
    request.period = numberOrText(text);
  }
  const command = argvOf(fields.command);
  if (!command.ok) return command;
  if (command.value.length > 0) request.command = command.value;
  if (fields.cwd.trim() !== '') request.cwd = fields.cwd.trim();
  const env = envOf(fields.env);
  if (!env.ok) return env;
  if (Object.keys(env.value).length > 0) request.env = env.value;
  if (fields.startNow) request.state = 'RUNNING';
  if (fields.partition !== '') request.partition = fields.partition;
  if (fields.node) request.node = fields.node;
  if (fields.relocatable) request.relocatable = true;
  if (fields.type === 'ONE_SHOT' && fields.restartPolicy !== 'never') {
    const text = fields.restartDelayMs.trim();
    request.restart = { policy: fields.restartPolicy, ...(text === '' ? {} : { delayMs: numberOrText(text) }) };
  }
  const capacity = fields.timeCapacityMs?.trim() ?? '';
  if (capacity !== '') {
    request.timeCapacityMs = numberOrText(capacity);
    // `log` is the daemon's default: sent only when another action is chosen.
    if (fields.onDeadlineMiss === 'stop') request.onDeadlineMiss = 'stop';
  }
  const nice = fields.nice?.trim() ?? '';
  if (nice !== '') request.nice = numberOrText(nice);
  return { ok: true, value: request };
}

/** A number where the field holds one, else its text: the API then says what it expects. */
function numberOrText(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** A JSON array of strings, or words split on whitespace (no quoting: use JSON for that). */
export function argvOf(text: string): Parsed<string[]> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: [] };
  if (!trimmed.startsWith('[')) return { ok: true, value: trimmed.split(/\s+/) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    return { ok: false, message: `Command: not a valid JSON array (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    return { ok: false, message: 'Command: a JSON command must be an array of strings, like ["sh", "-c", "echo hi"]' };
  }
  return { ok: true, value: parsed };
}

/** NAME=value lines; blank lines are skipped; the value may contain "=". */
export function envOf(text: string): Parsed<Record<string, string>> {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const equals = line.indexOf('=');
    if (equals <= 0) return { ok: false, message: `Environment line ${index + 1}: write NAME=value, not "${line}"` };
    env[line.slice(0, equals).trim()] = line.slice(equals + 1);
  }
  return { ok: true, value: env };
}
