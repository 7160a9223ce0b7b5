// The audit trail keeps each actor's entries apart: a partition token that floods it with refused
// requests pushes out only its own oldest refusals, never a change, its own or the node's.
import { afterEach, describe, expect, it } from 'vitest';
import { pipelinedFlood } from '../support/pipelinedFlood.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** More than the trail kept in all before entries were kept per actor (10000). */
const FLOOD = 10_100;
const REFUSED_KEPT = 1_000;
/** Ten thousand requests on a loaded machine: a bound, not a speed asked for. */
const FLOOD_TEST_MS = 180_000;

interface AuditRow {
  method: string;
  path: string;
  processId: number | null;
  status: number;
  outcome: string;
  actor: string;
}

const rowsOf = (audit: AuditRow[]) => audit.map((entry) => [entry.method, entry.path, entry.status, entry.outcome, entry.actor]);

describe('audit trail retention', () => {
  it("keeps the node's and a partition token's accepted entries after more refused requests from that token than the trail holds", async () => {
    const daemon = await SigmaDaemon.start();
    const nodeMade = (await daemon.create({ name: 'node-made', command: ['true'] })).body.processes[0].id;
    expect((await daemon.request('PATCH', `/processes/${nodeMade}`, { env: { A: '1' } })).status).toBe(200);
    expect((await daemon.request('POST', '/partitions', { name: 'lab' })).status).toBe(201);
    const made = (await daemon.request('POST', '/partitions/lab/tokens', {})).body.tokens[0];
    const asToken = { authorization: `Bearer ${made.token}` };
    const actor = `token ${made.id} of lab`;
    const tokenMade = (await daemon.request('POST', '/processes', { name: 'token-made', command: ['true'] }, asToken)).body.processes[0].id;

    // Refused (a partition token may not change limits), and recorded: they are authenticated.
    const flood = { method: 'PUT', path: '/partitions/lab', headers: { authorization: asToken.authorization, 'content-type': 'application/json' }, body: '{"maxRunning":1}' };
    expect([...(await pipelinedFlood(daemon.url, flood, FLOOD))]).toEqual([[403, FLOOD]]);

    expect(rowsOf((await daemon.request('GET', `/audit?processId=${nodeMade}`)).body.audit)).toEqual([
      ['PATCH', `/processes/${nodeMade}`, 200, 'UPDATED', 'node'],
      ['POST', '/processes', 201, 'CREATED', 'node'],
    ]);
    expect(rowsOf((await daemon.request('GET', `/audit?processId=${tokenMade}`)).body.audit)).toEqual([['POST', '/processes', 201, 'CREATED', actor]]);
    expect(rowsOf((await daemon.request('GET', '/audit?actor=node&refused=false')).body.audit)).toEqual([
      ['POST', '/partitions/lab/tokens', 201, 'CREATED', 'node'],
      ['POST', '/partitions', 201, 'CREATED', 'node'],
      ['PATCH', `/processes/${nodeMade}`, 200, 'UPDATED', 'node'],
      ['POST', '/processes', 201, 'CREATED', 'node'],
    ]);
    // The token's own refusals: its latest are kept (up to the next trim, a few more).
    const refusals = (await daemon.request('GET', `/audit?actor=${encodeURIComponent(actor)}&refused=true&limit=1000`)).body.audit as AuditRow[];
    expect(refusals).toHaveLength(REFUSED_KEPT);
    expect(new Set(refusals.map((entry) => `${entry.status} ${entry.outcome}`))).toEqual(new Set(['403 SIGMA_ERR_OUT_OF_SCOPE']));

    // And so after a restart.
    expect(await daemon.stop()).toBe(0);
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    expect((await again.request('GET', `/audit?processId=${tokenMade}`)).body.audit).toHaveLength(1);
    expect((await again.request('GET', '/audit?actor=node&refused=false')).body.audit).toHaveLength(4);
  }, FLOOD_TEST_MS);
});
