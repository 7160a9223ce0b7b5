// A hostile client, generated: thousands of requests, valid by the daemon's own OpenAPI
// document or mutated from valid ones, interleaved with real operations on real processes.
// Never a 5xx, every error in sigma's shape, the daemon alive after each request; the job
// invariants hold against /proc every few requests; and a clean restart brings back every
// definition and every intent. Seed: SIGMA_FC_SEED (default fixed); runs: SIGMA_FC_RUNS.
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HostileFailure, HostileSession, RequestCounts, HOSTILE_PARTITION } from '../support/hostileSession.js';
import { sessionSteps } from '../support/hostileSteps.js';
import { isLive, isLongJob, jobsInProc, type ProcessView } from '../support/jobInvariants.js';
import type { Json } from '../support/openApiArbitraries.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

const SEED = Number(process.env.SIGMA_FC_SEED ?? 5_062_026);
const RUNS = Number(process.env.SIGMA_FC_RUNS ?? 3);
const STEPS_PER_RUN = { min: 600, max: 900 };
const LIMITS = { maxProcesses: 10, checkEvery: 40 };

const DEFINITION_FIELDS = ['id', 'name', 'type', 'period', 'command', 'cwd', 'env', 'stopTimeoutMs', 'createdAt'];
const STARTED = ['WAITING', 'READY', 'RUNNING'];

let document: Json;
const counts = new RequestCounts();

beforeAll(async () => {
  const daemon = await SigmaDaemon.start();
  const reply = await daemon.request('GET', '/openapi.json');
  expect(reply.status).toBe(200);
  document = reply.body;
  await daemon.stop();
  daemon.removeDataDir();
});

afterEach(cleanUpDaemons);
/** The session under way, whose jobs are ended should the test be cut short (a timeout). */
let current: HostileSession | null = null;
// Registered after cleanUpDaemons, so run before it: the daemon is still there to ask /proc about.
afterEach(() => {
  if (current) endSessionJobs(current);
  current = null;
});

afterAll(() => {
  console.log(`hostile input, seed ${SEED}: requests sent, by kind\n${counts.report()}`);
});

/** What a restart changed that it must not: a definition, or an intent (started, suspended, dormant). */
function restartProblems(before: ProcessView[], after: ProcessView[]): string[] {
  const problems: string[] = [];
  const afterById = new Map(after.map((process) => [process.id, process]));
  if (after.length !== before.length) problems.push(`${before.length} processes before the restart, ${after.length} after`);
  for (const old of before) {
    const now = afterById.get(old.id);
    if (!now) {
      problems.push(`process ${old.id} is gone after the restart`);
      continue;
    }
    for (const field of DEFINITION_FIELDS) {
      if (JSON.stringify(now[field]) !== JSON.stringify(old[field])) {
        problems.push(`process ${old.id}: ${field} was ${JSON.stringify(old[field])}, is ${JSON.stringify(now[field])}`);
      }
    }
    const intact =
      old.state === 'DORMANT'
        ? now.state === 'DORMANT'
        : old.state === 'SUSPENDEND'
          ? now.state === 'SUSPENDEND' && now.pid === null
          : STARTED.includes(now.state);
    if (!intact) problems.push(`process ${old.id} (${old.type}) was ${old.state} before the restart, is ${now.state} (pid ${now.pid}) after`);
    if (now.runs < old.runs) problems.push(`process ${old.id}: runs went from ${old.runs} to ${now.runs}`);
  }
  return problems;
}

/** Short ONE_SHOT jobs end by themselves: wait for them, so that the state at the stop is known. */
async function settled(session: HostileSession): Promise<ProcessView[]> {
  return waitFor(
    'short ONE_SHOT jobs to end',
    () => session.list(),
    (processes) => processes.every((process) => process.type !== 'ONE_SHOT' || isLongJob(process) || !['READY', 'RUNNING'].includes(process.state)),
    15_000,
  );
}

/** Notes every job the daemon has now, also those started since the last check. */
function noteDaemonJobs(session: HostileSession): void {
  const { child } = session.daemon;
  if (child.exitCode !== null || child.signalCode !== null) return;
  for (const job of jobsInProc(session.daemon.pid).children) if (isLive(job)) session.trackGroup(job.pid);
}

function endSessionJobs(session: HostileSession): void {
  noteDaemonJobs(session);
  session.daemon.child.kill('SIGKILL');
  session.jobs.endAll();
}

async function stopCleanly(session: HostileSession, when: string): Promise<void> {
  noteDaemonJobs(session);
  const code = await session.daemon.stop();
  if (code !== 0) throw new HostileFailure(`${when}: the daemon exited ${code} on SIGTERM\n  stderr: ${session.daemon.stderr.slice(-2000)}`);
  const left = session.jobs.describeLeft();
  if (left.length > 0) throw new HostileFailure(`${when}: processes of job groups left after the daemon stopped: ${left.join(', ')}`);
}

/** One property run: a fresh daemon, the steps, a restart on the same data dir, and the cleanup. */
async function playSession(steps: Parameters<HostileSession['play']>[0]): Promise<void> {
  const first = await SigmaDaemon.start();
  // The partition that generated requests on /partitions/{name} change: random limits there (a
  // hundredth of a core, one slot) must not slow down the jobs of the real operations.
  expect((await first.request('POST', '/partitions', { name: HOSTILE_PARTITION })).status).toBe(201);
  const session = new HostileSession(first, counts, LIMITS);
  current = session;
  let ended = false;
  try {
    await session.play(steps);
    await settled(session);
    await session.checkInvariants();
    const beforeStop = await session.list();
    await stopCleanly(session, 'the first stop');

    session.daemon = await SigmaDaemon.start({ dataDir: first.dataDir });
    counts.add('check: restarts');
    const afterStart = await session.list();
    for (const process of afterStart) if (typeof process.pid === 'number') session.trackGroup(process.pid);
    const problems = restartProblems(beforeStop, afterStart);
    if (problems.length > 0) throw new HostileFailure(`the restart changed the store's view:\n  ${problems.join('\n  ')}`);
    await session.checkInvariants();

    for (const process of afterStart) await session.send('cleanup: DELETE', {
      method: 'DELETE',
      path: `/processes/${process.id}`,
      headers: { authorization: `Bearer ${session.daemon.token}` },
    }, [204]);
    const remaining = await session.list();
    if (remaining.length > 0) throw new HostileFailure(`processes left after deleting every one: ${JSON.stringify(remaining).slice(0, 500)}`);
    await stopCleanly(session, 'the last stop');
    // A hostile client is answered, not logged as a failure of the daemon.
    const errorLines = [first, session.daemon].flatMap((daemon) => daemon.stderr.split('\n').filter((line) => /"level":(50|60)/.test(line)));
    if (errorLines.length > 0) throw new HostileFailure(`the daemon logged ${errorLines.length} errors:\n  ${errorLines.slice(0, 5).map((line) => line.slice(0, 600)).join('\n  ')}`);
    ended = true;
  } finally {
    // A failed session: its jobs are ended here, also those it has not seen yet (a release since the last check).
    if (!ended) endSessionJobs(session);
    await session.daemon.kill();
    first.removeDataDir();
    current = null;
  }
}

describe('hostile input', () => {
  it(
    'never gets a 5xx, an error outside the shape, a crash, a broken invariant, or a restart that forgets',
    async () => {
      expect(document?.paths?.['/processes/{id}']).toBeDefined();
      const outcome = await fc.check(fc.asyncProperty(sessionSteps(document, STEPS_PER_RUN.min, STEPS_PER_RUN.max), playSession), {
        seed: SEED,
        numRuns: RUNS,
        // A failing session already names the request, the answer and what was expected;
        // shrinking replays whole sessions (seconds each), so it is asked for explicitly.
        endOnFailure: process.env.SIGMA_FC_SHRINK === undefined,
        interruptAfterTimeLimit: 240_000,
        markInterruptAsFailure: true,
      });
      // fast-check's own report prints every step of the session: the first failure says enough.
      if (outcome.failed) {
        const cause = outcome.errorInstance instanceof Error ? outcome.errorInstance.message : String(outcome.errorInstance);
        throw new Error(`failed in run ${outcome.numRuns} (SIGMA_FC_SEED=${outcome.seed}, path ${outcome.counterexamplePath}):\n${cause}`);
      }
      expect(counts.total('valid ')).toBeGreaterThan(RUNS * 50);
      expect(counts.total('mutated: ')).toBeGreaterThan(RUNS * 50);
      expect(counts.total('operation: ')).toBeGreaterThan(RUNS * 20);
    },
    300_000,
  );
});
