// The schedule timeline panel: the node's PERIODIC processes (or one partition's), at most 20 by
// id, over the last 10, 30 or 60 s, redrawn 4 times a second while it is open and in view. When it
// opens, and when the partition or the window changes, each process shown is filled from its runs
// (GET /processes/{id}/runs); then the page's event stream and its readings of the processes,
// which the live dashboard hands over, keep it current.
import { ApiError, type ApiClient } from './apiClient.js';
import type { ManagedProcess, SigmaEvent } from './apiTypes.js';
import { wireDisclosure } from './disclosure.js';
import { byId, el, svg } from './elements.js';
import { fillPartitionFilter } from './partitionChoices.js';
import { ProcessSchedule } from './processSchedule.js';
import { drawScheduleRow, drawTimeAxis, timelineLegend } from './scheduleTimeline.js';

const REDRAW_EVERY_MS = 250;
const MOST_ROWS = 20;
/** GET /processes/{id}/runs gives at most this many: the node keeps no more. */
const MOST_RUNS_READ = 100;

export interface TimelinePanelActions {
  /** In a fleet the list also holds other nodes' processes, whose events never reach this node: those are left out. */
  isOwn(process: ManagedProcess): boolean;
  /** The message for a failed request (a refused token also logs the page out). */
  messageOf(error: unknown): string;
}

interface RowParts {
  element: HTMLElement;
  name: HTMLElement;
  picture: SVGSVGElement;
}

export class TimelinePanel {
  private readonly schedules = new Map<number, ProcessSchedule>();
  private readonly rowParts = new Map<number, RowParts>();
  /** The limit each process's runs were last read with: a wider window may need more. */
  private readonly runsRead = new Map<number, number>();
  private readonly reading = new Set<number>();
  private readonly toggle = byId<HTMLButtonElement>('timeline-toggle');
  private readonly body = byId('timeline-body');
  private readonly partitionSelect = byId<HTMLSelectElement>('timeline-partition');
  private readonly windowSelect = byId<HTMLSelectElement>('timeline-window');
  private readonly rows = byId('timeline-rows');
  private readonly empty = byId('timeline-empty');
  private readonly more = byId('timeline-more');
  private readonly error = byId('timeline-error');
  private readonly axisRow: HTMLElement;
  private readonly axis: SVGSVGElement;
  private readonly unwireToggle: () => void;
  private readonly observer: IntersectionObserver;
  private inView = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly onToggle = (): void => {
    this.keepDrawing();
    if (!this.isOpen) return;
    // Opened: filled from the runs afresh.
    this.runsRead.clear();
    this.draw();
  };
  private readonly onChoice = (): void => {
    this.runsRead.clear();
    this.draw();
  };
  private readonly onVisibility = (): void => this.keepDrawing();

  constructor(
    private readonly api: ApiClient,
    private readonly actions: TimelinePanelActions,
  ) {
    this.axis = svg('svg', { class: 'timeline-axis', 'aria-hidden': 'true' });
    this.axisRow = el('div', { className: 'timeline-row' }, [el('span', { className: 'timeline-name' }), this.axis]);
    this.rows.replaceChildren(this.axisRow);
    byId('timeline-legend').replaceChildren(timelineLegend());
    // Closed at first: the processes, their details and the create form fit a laptop's screen above it.
    this.unwireToggle = wireDisclosure(this.toggle);
    this.toggle.addEventListener('click', this.onToggle);
    this.partitionSelect.addEventListener('change', this.onChoice);
    this.windowSelect.addEventListener('change', this.onChoice);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.observer = new IntersectionObserver((entries) => {
      this.inView = entries.some((entry) => entry.isIntersecting);
      this.keepDrawing();
    });
    this.observer.observe(this.body);
  }

  stop(): void {
    this.stopped = true;
    this.keepDrawing();
    this.observer.disconnect();
    this.unwireToggle();
    this.toggle.removeEventListener('click', this.onToggle);
    this.partitionSelect.removeEventListener('change', this.onChoice);
    this.windowSelect.removeEventListener('change', this.onChoice);
    document.removeEventListener('visibilitychange', this.onVisibility);
    fillPartitionFilter(this.partitionSelect, []);
    this.error.textContent = '';
    this.schedules.clear();
    this.rowParts.clear();
    this.rows.replaceChildren(this.axisRow);
  }

  setPartitions(names: readonly string[]): void {
    const before = this.partitionSelect.value;
    fillPartitionFilter(this.partitionSelect, names);
    if (this.partitionSelect.value !== before) this.draw();
  }

  /** A reading of a process, as the page has just shown it. */
  noteProcess(process: ManagedProcess): void {
    const schedule = this.schedules.get(process.id);
    if (schedule) schedule.observe(process, Date.now());
    else if (process.type === 'PERIODIC') this.schedules.set(process.id, new ProcessSchedule(process, Date.now()));
  }

  /** The whole list, read again: the processes not in it are gone. */
  replaceAll(processes: readonly ManagedProcess[]): void {
    const ids = new Set(processes.map((process) => process.id));
    for (const id of [...this.schedules.keys()]) if (!ids.has(id)) this.forget(id);
    for (const process of processes) this.noteProcess(process);
  }

  forget(id: number): void {
    this.schedules.delete(id);
    this.runsRead.delete(id);
  }

  receive(event: SigmaEvent): void {
    if (event.type === 'gap') {
      this.resume();
      return;
    }
    const schedule = this.schedules.get(event.processId);
    if (!schedule) return;
    if (event.type === 'run') schedule.addRun(event.run, Date.now());
    else if (event.type === 'state') schedule.noteState(event);
  }

  /** Events may have been missed (a gap, a reconnection): the runs are read again. */
  resume(): void {
    this.runsRead.clear();
    if (this.isOpen) this.draw();
  }

  private get isOpen(): boolean {
    return !this.stopped && !this.body.hidden;
  }

  private keepDrawing(): void {
    const drawing = this.isOpen && this.inView && !document.hidden;
    if (drawing && this.timer === null) this.timer = setInterval(() => this.draw(), REDRAW_EVERY_MS);
    else if (!drawing && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private draw(): void {
    if (!this.isOpen) return;
    const nowMs = Date.now();
    const windowMs = Number(this.windowSelect.value);
    const partition = this.partitionSelect.value;
    const candidates = [...this.schedules.values()]
      .filter(({ process }) => process.type === 'PERIODIC' && this.actions.isOwn(process) && (partition === '' || process.partition === partition))
      .sort((a, b) => a.process.id - b.process.id);
    const shown = candidates.slice(0, MOST_ROWS);
    this.placeRows(shown.map(({ process }) => process));
    this.empty.hidden = shown.length > 0;
    this.empty.textContent = partition === '' ? 'No PERIODIC process on this node.' : `No PERIODIC process in the partition ${partition}.`;
    this.more.hidden = candidates.length <= MOST_ROWS;
    this.more.textContent = `Showing the first ${MOST_ROWS} of ${candidates.length} PERIODIC processes, by id.`;
    const widthPx = Math.round(this.axis.getBoundingClientRect().width);
    if (widthPx > 0) {
      const frame = { nowMs, windowMs, widthPx };
      for (const schedule of shown) {
        const parts = this.rowParts.get(schedule.process.id);
        if (parts) drawScheduleRow(parts.picture, schedule.rowAt(nowMs, windowMs), frame);
      }
      drawTimeAxis(this.axis, frame);
    }
    for (const { process } of shown) this.readRuns(process, windowMs);
  }

  /** One row per process shown, in order, the axis last; a row keeps its elements while it is shown. */
  private placeRows(processes: readonly ManagedProcess[]): void {
    const wanted = new Set(processes.map((process) => process.id));
    for (const [id, parts] of this.rowParts) {
      if (wanted.has(id)) continue;
      parts.element.remove();
      this.rowParts.delete(id);
    }
    processes.forEach((process, index) => {
      let parts = this.rowParts.get(process.id);
      if (!parts) {
        const name = el('span', { className: 'timeline-name' });
        const picture = svg('svg', { class: 'timeline-svg', role: 'img' });
        parts = { element: el('div', { className: 'timeline-row', attrs: { 'data-process-id': String(process.id) } }, [name, picture]), name, picture };
        this.rowParts.set(process.id, parts);
      }
      parts.name.textContent = process.name;
      parts.name.title = process.name;
      const there = this.rows.children[index];
      if (there !== parts.element) this.rows.insertBefore(parts.element, there ?? null);
    });
    if (this.rows.lastElementChild !== this.axisRow) this.rows.append(this.axisRow);
  }

  /** Enough runs for the window: one per release point in it, and one before. */
  private readRuns(process: ManagedProcess, windowMs: number): void {
    const periodMs = process.period ?? windowMs;
    const limit = Math.min(MOST_RUNS_READ, Math.ceil(windowMs / periodMs) + 1);
    if ((this.runsRead.get(process.id) ?? 0) >= limit || this.reading.has(process.id)) return;
    this.reading.add(process.id);
    this.api
      .listRuns(process.id, limit)
      .then((runs) => {
        const schedule = this.schedules.get(process.id);
        if (this.stopped || !schedule) return;
        schedule.addHistory(runs, limit, Date.now());
        this.runsRead.set(process.id, limit);
        this.error.textContent = '';
      })
      .catch((error: unknown) => {
        // Not asked again until the panel opens again or the choice changes; a process deleted meanwhile is no failure.
        this.runsRead.set(process.id, limit);
        if (!(error instanceof ApiError && error.status === 404)) this.error.textContent = `Cannot read the runs of ${process.name}: ${this.actions.messageOf(error)}`;
      })
      .finally(() => this.reading.delete(process.id));
  }
}
