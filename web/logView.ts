// Follows one stream of a process's output (GET /processes/{id}/logs?follow=true) into a <pre>,
// keeping the last part of it in the page.
import type { ApiClient } from './apiClient.js';
import { el } from './elements.js';

export type LogStreamName = 'stdout' | 'stderr';

const TAIL_LINES = 200;
/** The page keeps at most this much of the output (the start is dropped first). */
const KEPT_CHARS = 256 * 1024;

export class LogView {
  readonly root: HTMLElement;
  private readonly output: HTMLPreElement;
  private readonly status: HTMLParagraphElement;
  private readonly switches = new Map<LogStreamName, HTMLButtonElement>();
  private abort: AbortController | null = null;
  private stream: LogStreamName = 'stdout';

  constructor(
    private readonly api: ApiClient,
    private readonly processId: number,
  ) {
    const chooser = el('div', { className: 'segmented', attrs: { role: 'group', 'aria-label': 'Output stream' } });
    for (const name of ['stdout', 'stderr'] as const) {
      const button = el('button', { text: name, attrs: { type: 'button', 'aria-pressed': 'false' } });
      button.addEventListener('click', () => this.follow(name));
      this.switches.set(name, button);
      chooser.append(button);
    }
    this.output = el('pre', { className: 'log', attrs: { tabindex: '0', 'aria-label': 'Output' } });
    this.status = el('p', { className: 'hint' });
    this.root = el('div', { className: 'log-view' }, [
      el('div', { className: 'subhead' }, [el('h3', { text: 'Output' }), chooser]),
      this.output,
      this.status,
    ]);
  }

  follow(stream: LogStreamName = this.stream): void {
    this.close();
    this.stream = stream;
    for (const [name, button] of this.switches) button.setAttribute('aria-pressed', String(name === stream));
    this.output.textContent = '';
    this.output.setAttribute('aria-label', `Output: ${stream}`);
    const abort = new AbortController();
    this.abort = abort;
    this.status.textContent = `Following ${stream} (last ${TAIL_LINES} lines, then new output as it is written).`;
    void this.read(stream, abort);
  }

  close(): void {
    this.abort?.abort();
    this.abort = null;
  }

  private async read(stream: LogStreamName, abort: AbortController): Promise<void> {
    try {
      const path = `processes/${this.processId}/logs?stream=${stream}&tail=${TAIL_LINES}&follow=true`;
      const response = await this.api.openStream(path, abort.signal);
      if (!response.body) throw new Error('the answer has no body');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.appendText(value);
      }
      if (!abort.signal.aborted) this.status.textContent = `The ${stream} stream ended (the process was deleted or the daemon stopped).`;
    } catch (error) {
      if (abort.signal.aborted) return;
      this.status.textContent = `Cannot follow ${stream}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private appendText(text: string): void {
    const output = this.output;
    const atBottom = output.scrollHeight - output.scrollTop - output.clientHeight < 8;
    output.append(text);
    output.normalize();
    const content = output.textContent ?? '';
    if (content.length > KEPT_CHARS) output.textContent = content.slice(content.length - KEPT_CHARS);
    if (atBottom) output.scrollTop = output.scrollHeight;
  }
}
