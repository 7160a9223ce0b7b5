// Server-Sent Events, as the HTML standard defines the text/event-stream format: the parser of
// `sigma watch`.

export interface SseMessage {
  /** The last event id when the message was dispatched (the last `id:` seen), or null. */
  id: string | null;
  /** The `event:` field, "message" when none. */
  event: string;
  data: string;
}

/**
 * Fed text in chunks of any size (a chunk may end anywhere, also between the \r and \n of one
 * line end), it returns the complete messages. `retry:` is ignored: the client keeps its own
 * back-off. This class is the same in src/cli/sseParser.ts and web/sseParser.ts (the dashboard
 * is compiled apart); test/cli/sseParser.test.ts runs one table of cases on both.
 */
export class SseParser {
  /** The start of a line whose end has not arrived yet. */
  private pending = '';
  /** The last chunk ended with \r: a \n that starts the next one ends no second line. */
  private skipLineFeed = false;
  /** A byte-order mark is dropped at the start of a stream only. */
  private atStreamStart = true;
  private dataLines: string[] = [];
  private eventType = '';
  private hasData = false;
  /** The id of the message being read; it counts once the message is complete. */
  private idBuffer: string | null = null;
  /** The id of the last complete message (kept across messages): what Last-Event-ID sends on a reconnect. */
  lastEventId: string | null = null;

  /** Starts after this id, as if a message with it had been read. */
  resumeAfter(id: string | null): void {
    this.lastEventId = id;
    this.idBuffer = id;
  }

  push(chunk: string): SseMessage[] {
    if (chunk === '') return [];
    let text = chunk;
    if (this.atStreamStart) {
      this.atStreamStart = false;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    let start = this.skipLineFeed && text.startsWith('\n') ? 1 : 0;
    this.skipLineFeed = false;
    const messages: SseMessage[] = [];
    for (let index = start; index < text.length; index++) {
      const char = text[index];
      if (char !== '\n' && char !== '\r') continue;
      const message = this.line(this.pending + text.slice(start, index));
      this.pending = '';
      if (message) messages.push(message);
      if (char === '\r') {
        if (index === text.length - 1) this.skipLineFeed = true;
        else if (text[index + 1] === '\n') index++;
      }
      start = index + 1;
    }
    this.pending += text.slice(start);
    return messages;
  }

  /** Forgets a message cut off by a dropped connection; the last event id stays. What comes next is a new stream. */
  dropPartial(): void {
    this.pending = '';
    this.skipLineFeed = false;
    this.atStreamStart = true;
    this.dataLines = [];
    this.eventType = '';
    this.hasData = false;
    this.idBuffer = this.lastEventId;
  }

  private line(line: string): SseMessage | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataLines.push(value);
      this.hasData = true;
    } else if (field === 'event') {
      this.eventType = value;
    } else if (field === 'id' && !value.includes('\0')) {
      this.idBuffer = value;
    }
    return null;
  }

  private dispatch(): SseMessage | null {
    this.lastEventId = this.idBuffer;
    const message = this.hasData ? { id: this.lastEventId, event: this.eventType || 'message', data: this.dataLines.join('\n') } : null;
    this.dataLines = [];
    this.eventType = '';
    this.hasData = false;
    return message;
  }
}
