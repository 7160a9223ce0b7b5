// The pane for the chosen process: its definition and counters, its output as it is written,
// and its run history.
import type { ApiClient } from './apiClient.js';
import type { ManagedProcess } from './apiTypes.js';
import { formatCommand, formatDateTime, formatMs } from './displayFormats.js';
import { el } from './elements.js';
import { LogView } from './logView.js';
import { RunHistory } from './runHistory.js';

/** The restart policy, the restarts so far, and when a pending one is due. */
function restartFacts(process: ManagedProcess): Array<[string, string]> {
  const { restart } = process;
  if (restart === null) return [];
  const facts: Array<[string, string]> = [
    ['Restart', `${restart.policy}, after ${formatMs(restart.delayMs)} doubled up to ${formatMs(restart.maxDelayMs)}, at most ${restart.limit.count} in ${formatMs(restart.limit.windowMs)}`],
    ['Restarts', String(process.restarts)],
  ];
  if (process.state === 'WAITING' && process.nextReleaseAt) facts.push(['Restart due', formatDateTime(process.nextReleaseAt)]);
  return facts;
}

export class DetailPane {
  private shown: { process: ManagedProcess; logs: LogView; runs: RunHistory; facts: HTMLElement; heading: HTMLElement; outputWarning: HTMLElement } | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly title: HTMLElement,
    private readonly emptyNote: HTMLElement,
    private readonly body: HTMLElement,
    private readonly onClose: () => void,
  ) {}

  get processId(): number | null {
    return this.shown?.process.id ?? null;
  }

  show(process: ManagedProcess): void {
    this.close();
    const logs = new LogView(this.api, process.id);
    const runs = new RunHistory(this.api, process);
    const facts = el('dl', { className: 'facts' });
    const heading = el('span', { className: 'state' });
    const outputWarning = el('p', { className: 'warning', attrs: { role: 'status' } });
    this.shown = { process, logs, runs, facts, heading, outputWarning };
    this.title.replaceChildren(`Details: ${process.name} `, heading);
    this.body.replaceChildren(
      el('div', { className: 'detail-actions' }, [el('button', { className: 'quiet', text: 'Close details', attrs: { type: 'button' }, onClick: () => this.onClose() })]),
      outputWarning,
      facts,
      logs.root,
      runs.root,
    );
    this.emptyNote.hidden = true;
    this.body.hidden = false;
    this.update(process);
    logs.follow('stdout');
    runs.reload();
  }

  update(process: ManagedProcess): void {
    if (!this.shown || this.shown.process.id !== process.id) return;
    this.shown.process = process;
    this.shown.runs.setProcess(process);
    this.shown.heading.textContent = process.state;
    this.shown.heading.className = `state state-${process.state.toLowerCase()}`;
    this.shown.outputWarning.hidden = process.outputError === null;
    this.shown.outputWarning.textContent =
      process.outputError === null ? '' : `Output not logged: ${process.outputError}. The jobs keep running; their output is dropped until the log can be written.`;
    const env = Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
    const facts: Array<[string, string]> = [
      ['Command', formatCommand(process.command)],
      ['Working directory', process.cwd ?? "the daemon's"],
      ['Environment', env.length > 0 ? env.join('\n') : '—'],
      ['Stop timeout', formatMs(process.stopTimeoutMs)],
      ['Created', formatDateTime(process.createdAt)],
      ['Job started', formatDateTime(process.startedAt)],
      ['Runs · failures', `${process.runs} · ${process.failures}`],
      ...(process.type === 'ONE_SHOT' ? restartFacts(process) : []),
      ...(process.type === 'PERIODIC' ? ([['Overruns · skipped', `${process.overruns} · ${process.skipped}`]] as Array<[string, string]>) : []),
    ];
    if (process.lastExit?.error) facts.push(['Last start failed', process.lastExit.error]);
    this.shown.facts.replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]));
  }

  /** A run of the shown process ended: its history and chart are read again. */
  runEnded(processId: number): void {
    if (this.shown?.process.id === processId) this.shown.runs.reload();
  }

  /** After the event stream came back (the daemon may have restarted): follow the output again, reread the runs. */
  resume(): void {
    this.shown?.logs.follow();
    this.shown?.runs.reload();
  }

  deleted(processId: number): void {
    if (this.shown?.process.id !== processId) return;
    const name = this.shown.process.name;
    this.close();
    this.emptyNote.textContent = `${name} was deleted.`;
    this.emptyNote.hidden = false;
  }

  close(): void {
    this.shown?.logs.close();
    this.shown = null;
    this.title.textContent = 'Details';
    this.body.replaceChildren();
    this.body.hidden = true;
    this.emptyNote.textContent = 'Choose a process by its name to see its output, runs and timing.';
    this.emptyNote.hidden = false;
  }
}
