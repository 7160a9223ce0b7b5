// The daemon's own view at the end of the load, from its /metrics: how long it held requests
// (from their arrival to the answer) and how late its event loop ran.
import type { ApiClient } from './apiClient.js';

export interface DaemonMetrics {
  /** Mean time the daemon spent on a request, arrival to answer. */
  readonly requestMeanMs: number;
  readonly requests: number;
  /** Share of requests the daemon answered within each bound (its histogram's buckets). */
  readonly requestsWithinMs: Record<string, number>;
  readonly eventLoopLagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** V8's heap in use and the memory held outside it (buffers), as the daemon reports them. */
  readonly heapUsedKiB: number;
  /** What V8 holds for its heap, used or not: the part of RSS that follows the collector. */
  readonly heapTotalKiB: number;
  readonly externalKiB: number;
}

export async function readDaemonMetrics(client: ApiClient): Promise<DaemonMetrics | null> {
  const reply = await client.request('GET', '/metrics');
  if (reply.status !== 200) return null;
  let sum = 0;
  let count = 0;
  const buckets = new Map<string, number>();
  const gauges = new Map<string, number>();
  for (const line of reply.text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const match = /^([a-zA-Z0-9_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = '', valueText] = match;
    const value = Number(valueText);
    if (name === 'sigma_http_request_duration_seconds_sum') sum += value;
    else if (name === 'sigma_http_request_duration_seconds_count') count += value;
    else if (name === 'sigma_http_request_duration_seconds_bucket') {
      const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '';
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    } else gauges.set(name as string, value);
  }
  const requestsWithinMs: Record<string, number> = {};
  for (const [le, within] of buckets) {
    if (le === '+Inf') continue;
    requestsWithinMs[String(Number(le) * 1000)] = count === 0 ? 0 : Math.round((within / count) * 1000) / 1000;
  }
  const lagMs = (name: string): number => (gauges.get(`sigma_daemon_nodejs_eventloop_lag_${name}_seconds`) ?? Number.NaN) * 1000;
  return {
    requestMeanMs: count === 0 ? Number.NaN : (sum / count) * 1000,
    requests: count,
    requestsWithinMs,
    eventLoopLagMs: { p50: lagMs('p50'), p99: lagMs('p99'), max: lagMs('max') },
    heapUsedKiB: Math.round((gauges.get('sigma_daemon_nodejs_heap_size_used_bytes') ?? Number.NaN) / 1024),
    heapTotalKiB: Math.round((gauges.get('sigma_daemon_nodejs_heap_size_total_bytes') ?? Number.NaN) / 1024),
    externalKiB: Math.round((gauges.get('sigma_daemon_nodejs_external_memory_bytes') ?? Number.NaN) / 1024),
  };
}
