// HTTP requests sent exactly as written: the path is not normalised (no URL parsing, so
// `/processes/../health` and `%2e%2e` reach the server as they are), the body is raw bytes, and
// an answer that stays open (an event stream, a followed log) is cut once it has begun.
import { request } from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent verbatim; only characters Node allows in a request line (0x21-0xff). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The answer was still open when it was cut (a stream). */
  cut: boolean;
}

/** How long an answer that is not JSON may stay open before it is taken for a stream and cut. */
const STREAM_CUT_MS = 100;
/** An answer that has not begun by then counts as none: a hung daemon. */
const NO_ANSWER_MS = 20_000;

export function sendRaw(baseUrl: string, raw: RawRequest): Promise<RawReply> {
  const base = new URL(baseUrl);
  const body = raw.body === undefined ? undefined : Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body, 'utf8');
  const headers: Record<string, string> = { ...(body !== undefined ? { 'content-length': String(body.length) } : {}), ...raw.headers };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: Number(base.port), method: raw.method, path: raw.path, headers, setHost: true },
      (res) => {
        clearTimeout(noAnswer);
        const chunks: Buffer[] = [];
        let finished = false;
        let cut = false;
        let streamCut: NodeJS.Timeout | undefined;
        const finish = (): void => {
          if (finished) return;
          finished = true;
          clearTimeout(streamCut);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), cut });
        };
        const cutNow = (): void => {
          cut = true;
          res.destroy();
          finish();
        };
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', finish);
        res.on('error', finish);
        const contentType = String(res.headers['content-type'] ?? '');
        // An event stream never ends by itself; a followed log may: it gets a moment.
        if (contentType.startsWith('text/event-stream')) cutNow();
        else if (!contentType.startsWith('application/json')) streamCut = setTimeout(cutNow, STREAM_CUT_MS);
      },
    );
    const noAnswer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${NO_ANSWER_MS} ms`));
    }, NO_ANSWER_MS);
    req.on('error', (error) => {
      clearTimeout(noAnswer);
      reject(error);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}
