// prom-client's default metrics include three gauges whose names end in `_total`, a suffix that
// names counters only (promtool check metrics refuses it): they are served under names that
// say what they are, all types together, beside the by-type gauges they sum.
import { Gauge, type Registry } from 'prom-client';

/** prom-client's name (after the prefix), the name sigma serves it under, and its help. */
export const RENAMED_GAUGES = [
  ['nodejs_active_handles_total', 'nodejs_active_handles_all', 'Number of active libuv handles, all types together.'],
  ['nodejs_active_requests_total', 'nodejs_active_requests_all', 'Number of active libuv requests, all types together.'],
  ['nodejs_active_resources_total', 'nodejs_active_resources_all', 'Number of active resources keeping the event loop alive, all types together.'],
] as const;

/** Call after collectDefaultMetrics with the same prefix; a gauge this Node does not have is skipped. */
export function renameTotalGauges(registry: Registry, prefix: string): void {
  for (const [from, to, help] of RENAMED_GAUGES) {
    const original = registry.getSingleMetric(`${prefix}${from}`);
    if (!original) continue;
    registry.removeSingleMetric(`${prefix}${from}`);
    new Gauge({
      name: `${prefix}${to}`,
      help,
      registers: [registry],
      async collect() {
        // The original still reads the figure; it is only no longer served.
        const { values } = await original.get();
        this.set(values[0]?.value ?? 0);
      },
    });
  }
}
