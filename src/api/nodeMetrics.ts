// The node's figures for Prometheus: processes by state and type, per-process counters, run and
// release histograms, API request durations, and the daemon's own process metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PROCESS_TYPES, WIRE_STATES, wireStateOf } from '../core/processModel.js';
import type { ProcessEvents } from '../supervisor/processEvents.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ConnectionCounts } from './connectionGuard.js';
import { renameTotalGauges } from './gaugeNames.js';

const SECONDS_PER_MS = 1 / 1000;
const DAEMON_PREFIX = 'sigma_daemon_';
const PER_PROCESS_COUNTERS = [
  ['runs', 'sigma_process_runs_total', 'Jobs started'],
  ['overruns', 'sigma_process_overruns_total', 'Release points that found the previous job still READY or RUNNING'],
  ['skipped', 'sigma_process_skipped_total', 'Release points that did not run (suspended, stopped while queued, missed by a late timer)'],
  ['failures', 'sigma_process_failures_total', 'Spawn failures and jobs that ended on their own with a non-zero code or a signal'],
  ['restarts', 'sigma_restarts_total', 'Jobs released again by the restart policy'],
  ['deadlineMisses', 'sigma_deadline_misses_total', 'Jobs still running at their deadline (release plus timeCapacityMs)'],
] as const;

export interface NodeMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, statusCode: number, durationMs: number): void;
}

export function nodeMetrics(supervisor: Supervisor, events: ProcessEvents, connections: () => ConnectionCounts): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: DAEMON_PREFIX });
  renameTotalGauges(registry, DAEMON_PREFIX);

  new Gauge({
    name: 'sigma_connections',
    help: 'Client connections held now, and the most held (--max-connections within the descriptor limit)',
    labelNames: ['of'] as const,
    registers: [registry],
    collect() {
      const counts = connections();
      this.set({ of: 'held' }, counts.held);
      this.set({ of: 'limit' }, counts.admitted);
    },
  });
  new Counter({
    name: 'sigma_connections_closed_total',
    help: 'Connections closed at the limit: idle ones that made way for a new one (evicted), new ones while every held one had a request under way (refused)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const counts = connections();
      this.reset();
      this.inc({ reason: 'evicted' }, counts.evicted);
      this.inc({ reason: 'refused' }, counts.refused);
    },
  });

  new Gauge({
    name: 'sigma_processes',
    help: 'Processes on the node, by state and type',
    labelNames: ['state', 'type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const state of WIRE_STATES) for (const type of PROCESS_TYPES) this.set({ state, type }, 0);
      for (const { definition, snapshot } of supervisor.list()) this.inc({ state: wireStateOf(snapshot.runtime), type: definition.spec.type });
    },
  });

  for (const [counter, name, help] of PER_PROCESS_COUNTERS) {
    new Counter({
      name,
      help: `${help}, per process`,
      labelNames: ['process_id', 'name'] as const,
      registers: [registry],
      collect() {
        // The totals live with each process (and survive restarts); they are read, not counted here.
        this.reset();
        for (const { definition, snapshot } of supervisor.list()) {
          this.inc({ process_id: String(definition.id), name: definition.name }, snapshot.counters[counter]);
        }
      },
    });
  }

  const lateness = new Histogram({
    name: 'sigma_release_lateness_seconds',
    help: 'How late PERIODIC jobs started after their release point',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sigma_job_duration_seconds',
    help: 'How long jobs ran, from start to the end of their process group',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600, 3600],
    registers: [registry],
  });
  const runsEnded = new Counter({
    name: 'sigma_runs_ended_total',
    help: 'Runs ended since the daemon started, by how they ended',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Children bound once: labels given per call are hashed per call, at every job's end.
  const ended = {
    spawnFailed: runsEnded.labels({ outcome: 'spawn_failed' }),
    endedBySigma: runsEnded.labels({ outcome: 'ended_by_sigma' }),
    succeeded: runsEnded.labels({ outcome: 'succeeded' }),
    failed: runsEnded.labels({ outcome: 'failed' }),
  };
  const durationOf = { ONE_SHOT: duration.labels({ type: 'ONE_SHOT' }), PERIODIC: duration.labels({ type: 'PERIODIC' }) };
  events.subscribe((event) => {
    if (event.type !== 'run') return;
    const { run } = event;
    if (run.pid === null) {
      ended.spawnFailed.inc();
      return;
    }
    (run.endedBySigma ? ended.endedBySigma : run.exitCode === 0 ? ended.succeeded : ended.failed).inc();
    durationOf[run.releaseAtMs === null ? 'ONE_SHOT' : 'PERIODIC'].observe((run.endedAtMs - run.startedAtMs) * SECONDS_PER_MS);
    if (run.releaseAtMs !== null) lateness.observe(Math.max(0, run.startedAtMs - run.releaseAtMs) * SECONDS_PER_MS);
  });

  const requests = new Histogram({
    name: 'sigma_http_request_duration_seconds',
    help: 'API requests, by method, route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  // One child per (method, route, status), looked up once: this runs on every request.
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();
  return {
    registry,
    observeRequest(method, route, statusCode, durationMs) {
      const key = `${method} ${route} ${statusCode}`;
      let child = children.get(key);
      if (!child) {
        child = requests.labels({ method, route, status_code: String(statusCode) });
        children.set(key, child);
      }
      child.observe(durationMs * SECONDS_PER_MS);
    },
  };
}
