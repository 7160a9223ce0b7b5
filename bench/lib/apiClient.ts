// A small keep-alive JSON client for the daemon's API over HTTP or HTTPS (the daemon's own
// certificate pinned).
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface ApiReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export class ApiClient {
  private readonly agent: HttpAgent;

  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    caPem: string | null,
    maxSockets = 16,
  ) {
    this.agent = baseUrl.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, maxSockets, ...(caPem ? { ca: caPem } : {}) })
      : new HttpAgent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const url = new URL(path, this.baseUrl);
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            let parsed: unknown = null;
            try {
              parsed = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : null;
            } catch {
              parsed = raw.toString('utf8');
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async expect(method: string, path: string, body: unknown, status: number): Promise<ApiReply> {
    const reply = await this.request(method, path, body);
    if (reply.status !== status) {
      throw new Error(`${method} ${path} answered ${reply.status}, expected ${status}: ${reply.raw.toString('utf8').slice(0, 300)}`);
    }
    return reply;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs task(i) for i in [0, count) with at most `concurrency` under way at once. */
export async function forEachConcurrently(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
