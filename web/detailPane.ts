// The pane for the chosen process: its definition and counters, its output as it is written,
// and its run history.
import type { ApiClient } from './apiClient.js';
import type { ManagedProcess } from './apiTypes.js';
import { formatCommand, formatDateTime, formatMs, formatUntil } from './displayFormats.js';
import { el } from './elements.js';
import { LogView } from './logView.js';
import { RunHistory } from './runHistory.js';

/** The restart policy and the restarts so far. */
function restartFacts(process: ManagedProcess): Array<[string, string]> {
  const { restart } = process;
  if (restart === null) return [];
  return [
    ['Restart', `${restart.policy}, after ${formatMs(restart.delayMs)} doubled up to ${formatMs(restart.maxDelayMs)}, at most ${restart.limit.count} in ${formatMs(restart.limit.windowMs)}`],
    ['Restarts', String(process.restarts)],
  ];
}

/**
 * When its next job is due, counting down: a PERIODIC process's next release; a WAITING ONE_SHOT's
 * pending restart or delayed start.
 */
function nextJobFact(process: ManagedProcess, nowMs: number): Array<[string, string]> {
  const at = process.nextReleaseAt;
  if (at === null) return [];
  const term = process.type === 'PERIODIC' ? 'Next release' : 'Next run';
  return [[term, `${formatDateTime(at)} (${formatUntil(at, nowMs)})`]];
}

/** The jobs' priority and time capacity, as defined, and the deadlines missed. */
function timingFacts(process: ManagedProcess): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  if (process.nice !== null) facts.push(['Priority (nice)', String(process.nice)]);
  if (process.timeCapacityMs !== null) {
    const onMiss = process.onDeadlineMiss === 'stop' ? 'the job is stopped' : 'the job runs on, counted';
    facts.push(['Time capacity', `${formatMs(process.timeCapacityMs)} after each release; on a miss ${onMiss}`]);
    facts.push(['Deadline misses', String(process.deadlineMisses)]);
  }
  return facts;
}

/** In a fleet: the node it is on, and whether the fleet may move it. */
function fleetFacts(process: ManagedProcess): Array<[string, string]> {
  if (process.node === undefined) return [];
  const facts: Array<[string, string]> = [['Node', process.nodeStatus === 'down' ? `${process.node} (down: shown as etcd last recorded it)` : process.node]];
  if (process.relocatable !== undefined) facts.push(['Relocatable', process.relocatable ? 'yes: moved to another node when its own is down' : 'no']);
  return facts;
}

/** How often a countdown on the pane is redrawn. */
const COUNTDOWN_MS = 500;

export class DetailPane {
  private shown: { process: ManagedProcess; logs: LogView; runs: RunHistory; facts: HTMLElement; heading: HTMLElement; outputWarning: HTMLElement } | null = null;
  /** Redraws the facts while a next job is ahead (its countdown). */
  private countdown: number | null = null;

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
    this.renderFacts(process);
    this.keepCounting(process);
  }

  private renderFacts(process: ManagedProcess): void {
    if (!this.shown) return;
    const env = Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
    const facts: Array<[string, string]> = [
      ...fleetFacts(process),
      ['Command', formatCommand(process.command)],
      ['Working directory', process.cwd ?? "the daemon's"],
      ['Environment', env.length > 0 ? env.join('\n') : '—'],
      ['Stop timeout', formatMs(process.stopTimeoutMs)],
      ['Created', formatDateTime(process.createdAt)],
      ['Job started', formatDateTime(process.startedAt)],
      ['Runs · failures', `${process.runs} · ${process.failures}`],
      ...(process.type === 'ONE_SHOT' ? restartFacts(process) : []),
      ...(process.type === 'PERIODIC' ? ([['Overruns · skipped', `${process.overruns} · ${process.skipped}`]] as Array<[string, string]>) : []),
      ...nextJobFact(process, Date.now()),
      ...timingFacts(process),
    ];
    if (process.lastExit?.error) facts.push(['Last start failed', process.lastExit.error]);
    this.shown.facts.replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]));
  }

  private keepCounting(process: ManagedProcess): void {
    const ahead = process.nextReleaseAt !== null && Date.parse(process.nextReleaseAt) > Date.now();
    if (ahead && this.countdown === null) {
      this.countdown = window.setInterval(() => {
        if (!this.shown) return this.stopCounting();
        this.renderFacts(this.shown.process);
        this.keepCounting(this.shown.process);
      }, COUNTDOWN_MS);
    } else if (!ahead) this.stopCounting();
  }

  private stopCounting(): void {
    if (this.countdown !== null) window.clearInterval(this.countdown);
    this.countdown = null;
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
    this.stopCounting();
    this.shown?.logs.close();
    this.shown = null;
    this.title.textContent = 'Details';
    this.body.replaceChildren();
    this.body.hidden = true;
    this.emptyNote.textContent = 'Choose a process by its name to see its output, runs and timing.';
    this.emptyNote.hidden = false;
  }
}
