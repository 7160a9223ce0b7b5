// GET /events: every state change, run, creation, update and deletion, live, resumable by id.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { openStream, parseEvents, type OpenStream } from '../support/openStream.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const eventsUrl = (daemon: SigmaDaemon): string => `${daemon.url}/events`;

async function waitForEvents(stream: OpenStream, what: string, accept: (events: ReturnType<typeof parseEvents>) => boolean) {
  const text = await stream.waitForText(what, (received) => accept(parseEvents(received)));
  return parseEvents(text);
}

describe('live events', () => {
  it('tells a creation, each state change with its cause, and the run, in order, with increasing ids', async () => {
    const daemon = await SigmaDaemon.start();
    const stream = await openStream(eventsUrl(daemon), daemon.token);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers).toMatchObject({ 'cache-control': 'no-cache', connection: 'close' });
    const id = (await daemon.create({ name: 'brief', command: ['sh', '-c', 'exit 4'], state: 'RUNNING' })).body.processes[0].id;
    const events = await waitForEvents(stream, 'the job to end', (list) => list.some((e) => e.event === 'state' && e.data.to === 'DORMANT'));
    stream.close();
    expect(events.map((e) => [e.event, e.data.from, e.data.to, e.data.reason])).toEqual([
      ['created', undefined, undefined, undefined],
      ['state', 'DORMANT', 'RUNNING', 'START'],
      ['run', undefined, undefined, undefined],
      ['state', 'RUNNING', 'DORMANT', 'JOB_ENDED'],
    ]);
    for (const event of events) {
      expect(event.data).toMatchObject({ processId: id, name: 'brief', type: event.event });
      expect(event.id).toBe(String(event.data.id));
      expect(Number.isNaN(Date.parse(event.data.at))).toBe(false);
    }
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(events[0]!.data.process).toMatchObject({ id, name: 'brief', state: 'DORMANT' });
    expect(events[2]!.data.run).toMatchObject({ exitCode: 4, endedBySigma: false });
  });

  it('tells updates and deletions', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'edited', command: ['true'] })).body.processes[0].id;
    const stream = await openStream(eventsUrl(daemon), daemon.token);
    expect((await daemon.request('PATCH', `/processes/${id}`, { command: ['echo', 'hi'] })).status).toBe(200);
    expect((await daemon.request('DELETE', `/processes/${id}`)).status).toBe(204);
    const events = await waitForEvents(stream, 'the deletion', (list) => list.some((e) => e.event === 'deleted'));
    stream.close();
    expect(events.map((e) => e.event)).toEqual(['updated', 'deleted']);
    expect(events[0]!.data.process.command).toEqual(['echo', 'hi']);
    expect(events[1]!.data).toMatchObject({ processId: id, name: 'edited' });
  });

  it('sends a reconnecting client every event after its Last-Event-ID, and a gap when some are gone', async () => {
    const daemon = await SigmaDaemon.start();
    const first = await openStream(eventsUrl(daemon), daemon.token);
    const id = (await daemon.create({ name: 'resumed', command: ['sleep', '300'] })).body.processes[0].id;
    const [created] = await waitForEvents(first, 'the creation', (list) => list.length >= 1);
    first.close();
    // While disconnected:
    await daemon.operate(id, 'START');
    await daemon.operate(id, 'SUSPEND');
    await daemon.operate(id, 'STOP');
    const byHeader = { url: eventsUrl(daemon), headers: { 'last-event-id': created!.id! } };
    const byQuery = { url: `${eventsUrl(daemon)}?lastEventId=${created!.id}`, headers: {} };
    for (const resume of [byHeader, byQuery]) {
      const again = await openStream(resume.url, daemon.token, resume.headers);
      const missed = await waitForEvents(again, 'the missed changes', (list) => list.some((e) => e.data.to === 'DORMANT'));
      again.close();
      expect(missed.map((e) => (e.event === 'state' ? `${e.data.from}>${e.data.to}` : e.event))).toEqual([
        'DORMANT>RUNNING',
        'RUNNING>SUSPENDEND',
        'run',
        'SUSPENDEND>DORMANT',
      ]);
      expect(Number(missed[0]!.id)).toBe(Number(created!.id) + 1);
    }
    const late = await openStream(eventsUrl(daemon), daemon.token, { 'last-event-id': '1' });
    const replayed = await waitForEvents(late, 'a gap and the kept events', (list) => list.length >= 2);
    late.close();
    expect(replayed[0]).toMatchObject({ id: null, event: 'gap' });
    expect(replayed[1]!.event).toBe('created');
  });

  it('numbers the events of a later boot above those of an earlier one', async () => {
    const daemon = await SigmaDaemon.start();
    const stream = await openStream(eventsUrl(daemon), daemon.token);
    await daemon.create({ name: 'first-boot', command: ['true'] });
    const [before] = await waitForEvents(stream, 'the creation', (list) => list.length >= 1);
    expect(await daemon.stop()).toBe(0);
    await stream.ended;
    const again = await SigmaDaemon.start({ dataDir: daemon.dataDir });
    const next = await openStream(eventsUrl(again), again.token, { 'last-event-id': before!.id! });
    await again.create({ name: 'second-boot', command: ['true'] });
    const after = await waitForEvents(next, 'the second creation', (list) => list.some((e) => e.event === 'created'));
    next.close();
    expect(after[0]!.event, 'the earlier boot\'s events are gone').toBe('gap');
    expect(Number(after[1]!.id)).toBeGreaterThan(Number(before!.id));
  });

  it('needs the token, and refuses a Last-Event-ID that is not an event id', async () => {
    const daemon = await SigmaDaemon.start();
    expectError(await daemon.request('GET', '/events', undefined, { authorization: '' }), 401, 'SIGMA_ERR_AUTH_MISSING');
    expectError(await daemon.request('GET', '/events', undefined, { 'last-event-id': 'yesterday' }), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.request('GET', '/events?lastEventId=-4'), 400, 'SIGMA_ERR_REQUEST_INVALID');
  });
});
