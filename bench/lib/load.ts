// HTTP load with autocannon as a library; latencies are kept at full resolution (autocannon's own
// histogram rounds to whole milliseconds).
import autocannon from 'autocannon';
import { percentile } from './stats.js';

export interface LoadResult {
  readonly requestsPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly requests: number;
}

export async function runLoad(options: { url: string; connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult> {
  // A run too short for any answer (a large list, a busy machine) is run again, longer.
  let result = await runLoadOnce(options);
  for (let attempt = 1; result.requests === 0 && attempt <= 2; attempt += 1) {
    result = await runLoadOnce({ ...options, durationS: options.durationS * 3 ** attempt });
  }
  return result;
}

async function runLoadOnce(options: { url: string; connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const startMs = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        // autocannon stops at its next sample tick: a short tick ends short runs on time.
        sampleInt: Math.min(1000, Math.max(50, options.durationS * 250)),
        headers: options.headers ?? {},
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
    });
  });
  const elapsedS = Math.max(result.duration, (performance.now() - startMs) / 1000 - 0.01);
  return {
    requestsPerS: latenciesMs.length / elapsedS,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: latenciesMs.length,
  };
}
