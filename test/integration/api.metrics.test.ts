// GET /metrics: the node in the Prometheus text format, behind the token unless --metrics-public.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

/** The value of one sample line, e.g. `sigma_processes{state="RUNNING",type="ONE_SHOT"}`. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('counts processes by state and type, runs and failures per process, and API requests by route', async () => {
    const daemon = await SigmaDaemon.start();
    const sleeper = (await daemon.create({ name: 'sleeper', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
    const failing = (await daemon.create({ name: 'failing', command: ['sh', '-c', 'exit 1'], state: 'RUNNING' })).body.processes[0];
    await waitFor('failing to end', () => daemon.process(failing.id), (p) => p.state === 'DORMANT');
    await daemon.request('GET', '/processes/999');
    const reply = await daemon.request('GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.text;
    expect(sample(text, 'sigma_processes{state="RUNNING",type="ONE_SHOT"}')).toBe(1);
    expect(sample(text, 'sigma_processes{state="DORMANT",type="ONE_SHOT"}')).toBe(1);
    expect(sample(text, 'sigma_processes{state="WAITING",type="PERIODIC"}')).toBe(0);
    expect(sample(text, `sigma_process_runs_total{process_id="${sleeper.id}",name="sleeper"}`)).toBe(1);
    expect(sample(text, `sigma_process_failures_total{process_id="${failing.id}",name="failing"}`)).toBe(1);
    expect(sample(text, 'sigma_runs_ended_total{outcome="failed"}')).toBe(1);
    expect(sample(text, 'sigma_job_duration_seconds_count{type="ONE_SHOT"}')).toBe(1);
    expect(sample(text, 'sigma_http_request_duration_seconds_count{method="GET",route="/processes/:id",status_code="404"}')).toBe(1);
    expect(sample(text, 'sigma_http_request_duration_seconds_count{method="POST",route="/processes",status_code="201"}')).toBe(2);
    expect(sample(text, 'sigma_daemon_process_resident_memory_bytes')).toBeGreaterThan(0);
    await daemon.operate(sleeper.id, 'STOP');
  });

  it('observes PERIODIC release lateness', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'tick', type: 'PERIODIC', period: 50, command: ['true'], state: 'RUNNING' })).body.processes[0].id;
    const text = await waitFor(
      'three observed releases',
      async () => (await daemon.request('GET', '/metrics')).text,
      (body) => (sample(body, 'sigma_release_lateness_seconds_count') ?? 0) >= 3,
    );
    expect(sample(text, 'sigma_release_lateness_seconds_bucket{le="+Inf"}')).toBe(sample(text, 'sigma_release_lateness_seconds_count'));
    await daemon.operate(id, 'STOP');
    // Each run's lateness, as its run records it, counted in every bucket at or above it.
    const runs = (await daemon.request('GET', `/processes/${id}/runs?limit=100`)).body.runs as { releaseLatenessMs: number }[];
    const stopped = (await daemon.request('GET', '/metrics')).text;
    expect(sample(stopped, 'sigma_release_lateness_seconds_count'), 'one observation per run').toBe(runs.length);
    const bounds = [...stopped.matchAll(/^sigma_release_lateness_seconds_bucket\{le="([0-9.e-]+)"\} /gm)].map((match) => match[1] as string);
    expect(bounds.length, 'finite buckets').toBeGreaterThan(3);
    for (const le of bounds) {
      const within = runs.filter((run) => Math.max(0, run.releaseLatenessMs) <= Number(le) * 1000).length;
      expect(sample(stopped, `sigma_release_lateness_seconds_bucket{le="${le}"}`), `runs at most ${le} s late (${runs.map((run) => run.releaseLatenessMs).join(', ')} ms)`).toBe(within);
    }
  });

  it('needs the token, unless the daemon runs with --metrics-public (and then only /metrics is open)', async () => {
    const closed = await SigmaDaemon.start();
    expectError(await closed.request('GET', '/metrics', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
    const open = await SigmaDaemon.start({ args: ['--metrics-public'] });
    expect((await open.request('GET', '/metrics', undefined, { authorization: '' })).status).toBe(200);
    expectError(await open.request('GET', '/processes', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
    expectError(await open.request('POST', '/metrics', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
  });
});
