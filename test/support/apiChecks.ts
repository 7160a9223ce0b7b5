// Checks shared by the API integration tests: the error shape, and "a refused request changes
// nothing" (GET /processes byte-identical before and after).
import { STATUS_CODES } from 'node:http';
import { expect } from 'vitest';
import { trackJobGroup, type Reply, type SigmaDaemon } from './sigmaDaemon.js';

const ERROR_KEYS = ['code', 'error', 'message', 'statusCode'];

/** What is wrong with a reply that should be the error {statusCode, code, error, message}, or null. */
export function errorMismatch(reply: Reply, status: number, code: string): string | null {
  const problems: string[] = [];
  if (reply.status !== status) problems.push(`status ${reply.status}, expected ${status}`);
  if (!String(reply.headers['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`content-type ${String(reply.headers['content-type'])}, expected application/json`);
  }
  const body = reply.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push('body is not a JSON object');
  } else {
    if (JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(ERROR_KEYS)) problems.push(`keys ${Object.keys(body).join(',')}`);
    if (body.statusCode !== status) problems.push(`statusCode ${body.statusCode}`);
    if (body.code !== code) problems.push(`code ${body.code}, expected ${code}`);
    if (body.error !== STATUS_CODES[status]) problems.push(`error "${body.error}", expected "${STATUS_CODES[status]}"`);
    if (typeof body.message !== 'string' || body.message === '') problems.push('no message');
  }
  return problems.length === 0 ? null : `${problems.join('; ')} -- body: ${reply.text.slice(0, 300)}`;
}

export function expectError(reply: Reply, status: number, code: string): void {
  expect(errorMismatch(reply, status, code), `expected ${status} ${code}`).toBeNull();
}

/** The exact text of GET /processes. */
export async function processesText(daemon: SigmaDaemon): Promise<string> {
  const reply = await daemon.request('GET', '/processes');
  expect(reply.status, reply.text).toBe(200);
  return reply.text;
}

/**
 * Sends a request that must be refused with `status`/`code` and must change nothing. Returns
 * the problems found (empty when all is well), so a table of cases reports every failing row.
 * A case wrongly accepted with 201 is deleted again so that it cannot disturb the next rows.
 */
export async function refusalProblems(
  daemon: SigmaDaemon,
  label: string,
  send: () => Promise<Reply>,
  status: number,
  code: string,
): Promise<string[]> {
  const before = await processesText(daemon);
  const reply = await send();
  const after = await processesText(daemon);
  const problems: string[] = [];
  const mismatch = errorMismatch(reply, status, code);
  if (mismatch) problems.push(`${label}: ${mismatch}`);
  if (after !== before) problems.push(`${label}: GET /processes changed`);
  if (reply.status === 201 && typeof reply.headers.location === 'string') {
    const pid = reply.body?.processes?.[0]?.pid;
    if (typeof pid === 'number') trackJobGroup(pid);
    await daemon.request('DELETE', reply.headers.location);
  }
  return problems;
}
