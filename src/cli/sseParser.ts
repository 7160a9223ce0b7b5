// Server-Sent Events, as the HTML standard defines the text/event-stream format: fed text in
// chunks of any size, it returns the complete messages.

export interface SseMessage {
  /** The id in force when the message was dispatched (the last `id:` seen), or null. */
  id: string | null;
  /** The `event:` field, "message" when none. */
  event: string;
  data: string;
}

export class SseParser {
  private pending = '';
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
    this.pending += chunk;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let index = 0; index < this.pending.length; index++) {
      const char = this.pending[index];
      if (char !== '\n' && char !== '\r') continue;
      // A \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
      if (char === '\r' && index === this.pending.length - 1) break;
      const message = this.line(this.pending.slice(start, index));
      if (message) messages.push(message);
      if (char === '\r' && this.pending[index + 1] === '\n') index++;
      start = index + 1;
    }
    this.pending = this.pending.slice(start);
    return messages;
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

  /** Forgets a message cut off by a dropped connection; the last event id stays. */
  dropPartial(): void {
    this.pending = '';
    this.dataLines = [];
    this.eventType = '';
    this.hasData = false;
    this.idBuffer = this.lastEventId;
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
