// Parses a text/event-stream body as it arrives in chunks (the Server-Sent Events format:
// `field: value` lines, a blank line ends an event, lines starting with `:` are comments).

export interface ServerSentEvent {
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  private pending = '';
  private id: string | null = null;
  private event = '';
  private dataLines: string[] = [];

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): ServerSentEvent[] {
    let unread = this.pending + text;
    // A chunk may end between the \r and the \n of one line end: that \r waits for the next chunk.
    const heldBack = unread.endsWith('\r') ? '\r' : '';
    if (heldBack) unread = unread.slice(0, -1);
    const lines = unread.split(/\r\n|\r|\n/);
    this.pending = (lines.pop() ?? '') + heldBack;
    const completed: ServerSentEvent[] = [];
    for (const line of lines) {
      const event = this.readLine(line);
      if (event) completed.push(event);
    }
    return completed;
  }

  private readLine(line: string): ServerSentEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return null;
  }

  private dispatch(): ServerSentEvent | null {
    const event = this.dataLines.length > 0 ? { id: this.id, event: this.event || 'message', data: this.dataLines.join('\n') } : null;
    this.event = '';
    this.dataLines = [];
    return event;
  }
}
