// The daemon's event loop delay, from its own GET /metrics: prom-client's default metrics (prefix
// sigma_daemon_) read perf_hooks.monitorEventLoopDelay, whose histogram is reset at every scrape.
// So a window is one scrape at its start (the reset) and one at its end (the window's figures).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ApiClient } from './apiClient.js';
import { cliPath } from './sigmaDaemon.js';

const PREFIX = 'sigma_daemon_nodejs_eventloop_lag';

export interface LoopDelay {
  /** The delay beyond the sampling interval, in ms: what the event loop made a timer wait. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** sigma_daemon_nodejs_eventloop_lag_p99_seconds as scraped (the sampling interval included), in ms. */
  readonly rawP99Ms: number;
}

let samplingMs: number | null = null;

/**
 * monitorEventLoopDelay records the time between two runs of a repeating timer of `resolution` ms
 * (prom-client's eventLoopMonitoringPrecision, 10 unless the daemon sets it): an idle loop reads
 * about 10 ms. The delay is what exceeds it.
 */
export function loopSamplingMs(): number {
  if (samplingMs !== null) return samplingMs;
  let source = '';
  try {
    source = readFileSync(join(dirname(cliPath()), '..', 'api', 'nodeMetrics.js'), 'utf8');
  } catch {
    // Not where it was: prom-client's default.
  }
  samplingMs = Number(/eventLoopMonitoringPrecision:\s*(\d+)/.exec(source)?.[1] ?? 10);
  return samplingMs;
}

/** Scrapes /metrics (which resets the histogram) and reads the delay over the time since the last scrape. */
export async function scrapeLoopDelay(api: ApiClient): Promise<LoopDelay> {
  const reply = await api.expect('GET', '/metrics', undefined, 200);
  const text = reply.raw.toString('utf8');
  const read = (name: string): number => {
    const match = new RegExp(`^${PREFIX}_${name}_seconds ([^\\s]+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : Number.NaN;
  };
  const beyond = (ms: number): number => Math.max(0, ms - loopSamplingMs());
  const rawP99Ms = read('p99');
  return { p50Ms: beyond(read('p50')), p99Ms: beyond(rawP99Ms), maxMs: beyond(read('max')), rawP99Ms };
}
