// The two text/event-stream parsers, the command line's and the dashboard's, against one table of
// cases from the HTML standard's rules: every case, cut into chunks of every size, must give the
// same messages and the same last event id from both.
import { describe, expect, it } from 'vitest';
import { SseParser as CliSseParser } from '../../src/cli/sseParser.js';
import { SseParser as WebSseParser } from '../../web/sseParser.js';

interface Message {
  id: string | null;
  event: string;
  data: string;
}

interface Parser {
  push(chunk: string): Message[];
  dropPartial(): void;
  resumeAfter(id: string | null): void;
  readonly lastEventId: string | null;
}

const PARSERS: Array<[string, () => Parser]> = [
  ['src/cli/sseParser', () => new CliSseParser()],
  ['web/sseParser', () => new WebSseParser()],
];

interface Case {
  what: string;
  stream: string;
  messages: Message[];
  lastEventId: string | null;
}

const m = (data: string, id: string | null = null, event = 'message'): Message => ({ id, event, data });

const CASES: Case[] = [
  { what: 'one message, the default event type', stream: 'data: hello\n\n', messages: [m('hello')], lastEventId: null },
  { what: 'an id and an event type', stream: 'id: 1\nevent: state\ndata: {"a":1}\n\n', messages: [m('{"a":1}', '1', 'state')], lastEventId: '1' },
  { what: 'data lines joined with \\n', stream: 'data: one\ndata:two\ndata\n\n', messages: [m('one\ntwo\n')], lastEventId: null },
  { what: 'only the first space after the colon goes', stream: 'data:  two spaces\nevent:x\n\n', messages: [m(' two spaces', null, 'x')], lastEventId: null },
  { what: 'an empty data line is a message with empty data', stream: 'data:\n\n', messages: [m('')], lastEventId: null },
  { what: 'comments and unknown fields are ignored', stream: ': ping\nfoo: bar\ndata: x\n: more\n\n', messages: [m('x')], lastEventId: null },
  { what: 'retry: lines are ignored (each client keeps its own back-off)', stream: 'retry: 2000\n\nretry: 5\ndata: x\n\n', messages: [m('x')], lastEventId: null },
  { what: 'a block without data dispatches nothing, and its event type does not carry over', stream: 'event: gap\n\ndata: x\n\n', messages: [m('x')], lastEventId: null },
  { what: 'a block with only an id sets the last event id', stream: 'id: 7\n\n', messages: [], lastEventId: '7' },
  { what: 'the id stays for messages without one', stream: 'id: 3\ndata: a\n\ndata: b\n\n', messages: [m('a', '3'), m('b', '3')], lastEventId: '3' },
  { what: 'an id given after the data of its message still counts for it', stream: 'data: a\nid: 4\n\n', messages: [m('a', '4')], lastEventId: '4' },
  { what: 'an empty id resets the last event id', stream: 'id: 5\ndata: a\n\nid\ndata: b\n\n', messages: [m('a', '5'), m('b', '')], lastEventId: '' },
  { what: 'an id with a NUL is ignored', stream: 'id: 5\ndata: a\n\nid: 6\u00007\ndata: b\n\n', messages: [m('a', '5'), m('b', '5')], lastEventId: '5' },
  { what: 'a message not yet ended by a blank line is not dispatched, nor is its id', stream: 'id: 1\ndata: a\n\nid: 2\ndata: b\n', messages: [m('a', '1')], lastEventId: '1' },
  { what: 'CRLF line ends', stream: 'id: 8\r\nevent: run\r\ndata: one\r\ndata: two\r\n\r\n', messages: [m('one\ntwo', '8', 'run')], lastEventId: '8' },
  { what: 'CR line ends', stream: 'id: 9\rdata: one\rdata: two\r\r', messages: [m('one\ntwo', '9')], lastEventId: '9' },
  { what: 'mixed line ends', stream: 'data: a\r\n\ndata: b\r\rdata: c\n\r\n', messages: [m('a'), m('b'), m('c')], lastEventId: null },
  { what: 'a byte-order mark at the start of the stream is dropped', stream: '\uFEFFdata: x\n\n', messages: [m('x')], lastEventId: null },
];

/** Feeds `stream` in chunks of `size` characters. */
function parse(make: () => Parser, stream: string, size: number): { messages: Message[]; lastEventId: string | null } {
  const parser = make();
  const messages: Message[] = [];
  for (let start = 0; start < stream.length; start += size) messages.push(...parser.push(stream.slice(start, start + size)));
  return { messages, lastEventId: parser.lastEventId };
}

describe.each(PARSERS)('%s', (_name, make) => {
  it.each(CASES)('$what, in chunks of every size', ({ stream, messages, lastEventId }) => {
    for (let size = 1; size <= stream.length; size++) {
      expect(parse(make, stream, size), `chunks of ${size}`).toEqual({ messages, lastEventId });
    }
  });

  it('dispatches a message ended by CR at once, and takes an LF that starts the next chunk as the end of that same line', () => {
    const parser = make();
    expect(parser.push('data: a\r\r')).toEqual([m('a')]);
    expect(parser.push('\ndata: b\n\n')).toEqual([m('b')]);
  });

  it('drops a message cut off by a lost connection, and its id; the next stream may start with a byte-order mark', () => {
    const parser = make();
    expect(parser.push('id: 7\ndata: a\n\nid: 8\ndata: cut')).toEqual([m('a', '7')]);
    parser.dropPartial();
    expect(parser.lastEventId).toBe('7');
    expect(parser.push('\uFEFFdata: d\n\n')).toEqual([m('d', '7')]);
  });

  it('starts after a given id, as if a message with it had been read', () => {
    const parser = make();
    parser.resumeAfter('41');
    expect(parser.lastEventId).toBe('41');
    expect(parser.push('data: x\n\n')).toEqual([m('x', '41')]);
  });
});

it('both parsers give the same answers for a stream of every case, cut at every place', () => {
  const stream = CASES.map((entry) => entry.stream.replace(/^\uFEFF/, '')).join('');
  const [[, cli], [, web]] = PARSERS as [[string, () => Parser], [string, () => Parser]];
  for (let size = 1; size <= 40; size++) expect(parse(web, stream, size), `chunks of ${size}`).toEqual(parse(cli, stream, size));
});
