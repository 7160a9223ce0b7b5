// The text/event-stream parser: messages across chunk boundaries, ids, comments, line endings.
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/cli/sseParser.js';

describe('SseParser', () => {
  it('returns complete messages with their id and event type, whatever the chunking', () => {
    const stream = ': ping\n\nid: 1\nevent: state\ndata: {"a":1}\n\nid: 2\nevent: run\ndata: {"b":2}\n\n';
    for (let size = 1; size <= stream.length; size++) {
      const parser = new SseParser();
      const messages = [];
      for (let start = 0; start < stream.length; start += size) messages.push(...parser.push(stream.slice(start, start + size)));
      expect(messages, `chunks of ${size}`).toEqual([
        { id: '1', event: 'state', data: '{"a":1}' },
        { id: '2', event: 'run', data: '{"b":2}' },
      ]);
      expect(parser.lastEventId).toBe('2');
    }
  });

  it('joins data lines, accepts CRLF and CR line ends, and defaults the event type', () => {
    const parser = new SseParser();
    expect(parser.push('data: one\r\ndata:two\r\rdata: x\r')).toEqual([{ id: null, event: 'message', data: 'one\ntwo' }]);
    expect(parser.push('\n\n')).toEqual([{ id: null, event: 'message', data: 'x' }]);
  });

  it('keeps the last id for a message without one; a message cut off by a lost connection and its id do not count', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c')).toEqual([
      { id: '7', event: 'message', data: 'a' },
      { id: '7', event: 'message', data: 'b' },
    ]);
    expect(parser.lastEventId).toBe('7');
    parser.dropPartial();
    expect(parser.lastEventId).toBe('7');
    expect(parser.push('\n\ndata: d\n\nid: 9\n\n')).toEqual([{ id: '7', event: 'message', data: 'd' }]);
    expect(parser.lastEventId).toBe('9');
  });
});
