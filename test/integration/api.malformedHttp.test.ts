// Requests that Node's HTTP parser refuses before Fastify routes them (a byte that is not allowed
// in the request line or a header, an unknown method, a malformed Content-Length, headers past
// 16 KiB) must still be answered in sigma's error shape {statusCode, code, error, message}.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerProblems } from '../support/hostileSession.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** Writes raw bytes on a fresh connection and reads everything until the server closes it. */
function exchange(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Status, content type and body of a raw HTTP/1.1 answer. */
function parseAnswer(answer: string): { status: number; headers: Record<string, string>; text: string } {
  const [head = '', text = ''] = answer.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, text };
}

const AUTH = 'Authorization: Bearer test-token-0123456789abcdef\r\n';

const CASES: ReadonlyArray<[string, Buffer]> = [
  ['a byte 0xff in the path', Buffer.concat([Buffer.from('GET /processes/'), Buffer.from([0xff]), Buffer.from(` HTTP/1.1\r\nHost: x\r\n${AUTH}\r\n`)])],
  ['a control character in a header value', Buffer.from(`GET /processes HTTP/1.1\r\nHost: x\r\n${AUTH}X-Note: a\x01b\r\n\r\n`)],
  ['an unknown method', Buffer.from(`FOO /processes HTTP/1.1\r\nHost: x\r\n${AUTH}\r\n`)],
  ['a Content-Length that is not a number', Buffer.from(`POST /processes HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Length: abc\r\n\r\n`)],
  ['headers over 16 KiB', Buffer.from(`GET /processes HTTP/1.1\r\nHost: x\r\n${AUTH}X-Note: ${'a'.repeat(20_000)}\r\n\r\n`)],
];

describe('requests the HTTP parser refuses', () => {
  it.each(CASES)('answer %s with a 4xx in sigma\'s error shape', async (_label, bytes) => {
    const daemon = await SigmaDaemon.start();
    const answer = parseAnswer(await exchange(daemon.url, bytes));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answerProblems({ method: 'GET', path: '/' }, { ...answer, cut: false }), answer.text).toEqual([]);
    expect(daemon.child.exitCode).toBeNull();
  });
});
