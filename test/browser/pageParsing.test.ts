// What the dashboard's code parses by itself, without a browser: the event stream as it arrives
// in arbitrary chunks, and the create form's command and environment fields.
import { describe, expect, it } from 'vitest';
import { argvOf, createRequestOf, envOf } from '../../web/createRequest.js';
import { SseParser } from '../../web/sseParser.js';

describe('the event stream parser', () => {
  const stream = 'retry: 2000\n\n: ping\n\nid: 7\nevent: state\ndata: {"a":1}\n\r\nid: 8\r\nevent: run\r\ndata: line one\r\ndata: line two\r\n\r\n';

  it('reads events, ids and multi-line data, and skips comments and retry-only blocks', () => {
    const events = new SseParser().push(stream);
    expect(events).toEqual([
      { id: '7', event: 'state', data: '{"a":1}' },
      { id: '8', event: 'run', data: 'line one\nline two' },
    ]);
  });

  it('gives the same events whatever the chunks, also when a chunk ends between \\r and \\n', () => {
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const events = [];
      for (let at = 0; at < stream.length; at += size) events.push(...parser.push(stream.slice(at, at + size)));
      expect(events.map((event) => event.data)).toEqual(['{"a":1}', 'line one\nline two']);
    }
  });

  it('keeps the last id for events that carry none (a gap event)', () => {
    const events = new SseParser().push('id: 3\nevent: state\ndata: x\n\nevent: gap\ndata: y\n\n');
    expect(events.map((event) => [event.id, event.event])).toEqual([
      ['3', 'state'],
      ['3', 'gap'],
    ]);
  });
});

describe('the create form fields', () => {
  it('splits a command on spaces, or reads a JSON array of strings', () => {
    expect(argvOf('  sleep   30 ')).toEqual({ ok: true, value: ['sleep', '30'] });
    expect(argvOf('["sh", "-c", "echo hi; sleep 1"]')).toEqual({ ok: true, value: ['sh', '-c', 'echo hi; sleep 1'] });
    expect(argvOf('')).toEqual({ ok: true, value: [] });
    expect(argvOf('["sh", 3]')).toMatchObject({ ok: false, message: expect.stringContaining('array of strings') });
    expect(argvOf('["sh"')).toMatchObject({ ok: false, message: expect.stringContaining('not a valid JSON array') });
  });

  it('reads NAME=value lines, values may hold "="', () => {
    expect(envOf('A=1\n\nB=x=y\r\nC=')).toEqual({ ok: true, value: { A: '1', B: 'x=y', C: '' } });
    expect(envOf('A=1\n=2')).toEqual({ ok: false, message: 'Environment line 2: write NAME=value, not "=2"' });
  });

  it('sends only what was filled in, and the period only for PERIODIC', () => {
    const fields = { name: ' ticker ', type: 'ONE_SHOT' as const, period: '1000', command: 'date -u', cwd: '', env: '', startNow: false, partition: '', restartPolicy: 'never' as const, restartDelayMs: '' };
    expect(createRequestOf(fields)).toEqual({ ok: true, value: { name: 'ticker', type: 'ONE_SHOT', command: ['date', '-u'] } });
    expect(createRequestOf({ ...fields, type: 'PERIODIC', cwd: '/tmp', startNow: true })).toEqual({
      ok: true,
      value: { name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date', '-u'], cwd: '/tmp', state: 'RUNNING' },
    });
    expect(createRequestOf({ ...fields, partition: 'lab' })).toMatchObject({ ok: true, value: { partition: 'lab' } });
    // A period that is not a number goes to the API as typed, so its message says what is expected.
    expect(createRequestOf({ ...fields, type: 'PERIODIC', period: 'soon' })).toMatchObject({ ok: true, value: { period: 'soon' } });
  });

  it('sends a restart policy for ONE_SHOT only, with the delay when one is given', () => {
    const fields = { name: 'w', type: 'ONE_SHOT' as const, period: '', command: 'true', cwd: '', env: '', startNow: false, partition: '', restartPolicy: 'on-failure' as const, restartDelayMs: '' };
    expect(createRequestOf(fields)).toMatchObject({ ok: true, value: { restart: { policy: 'on-failure' } } });
    expect(createRequestOf({ ...fields, restartDelayMs: '250' })).toMatchObject({ ok: true, value: { restart: { policy: 'on-failure', delayMs: 250 } } });
    const periodic = createRequestOf({ ...fields, type: 'PERIODIC', period: '1000' });
    expect(periodic.ok && 'restart' in periodic.value).toBe(false);
    const never = createRequestOf({ ...fields, restartPolicy: 'never' });
    expect(never.ok && 'restart' in never.value).toBe(false);
  });

  it('sends a time capacity with its action (log, the default, is not sent) and a priority only when given', () => {
    const fields = { name: 'p', type: 'ONE_SHOT' as const, period: '', command: 'true', cwd: '', env: '', startNow: false, partition: '', restartPolicy: 'never' as const, restartDelayMs: '' };
    const none = createRequestOf({ ...fields, timeCapacityMs: ' ', onDeadlineMiss: 'stop', nice: '' });
    expect(none.ok && ['timeCapacityMs', 'onDeadlineMiss', 'nice'].some((key) => key in none.value)).toBe(false);
    expect(createRequestOf({ ...fields, timeCapacityMs: '50', onDeadlineMiss: 'stop', nice: '5' })).toMatchObject({ ok: true, value: { timeCapacityMs: 50, onDeadlineMiss: 'stop', nice: 5 } });
    const logged = createRequestOf({ ...fields, timeCapacityMs: '50', onDeadlineMiss: 'log', nice: '-3' });
    expect(logged).toMatchObject({ ok: true, value: { timeCapacityMs: 50, nice: -3 } });
    expect(logged.ok && 'onDeadlineMiss' in logged.value).toBe(false);
    // Not a number: sent as typed, for the API to say what it expects.
    expect(createRequestOf({ ...fields, timeCapacityMs: 'soon' })).toMatchObject({ ok: true, value: { timeCapacityMs: 'soon' } });
  });
});
