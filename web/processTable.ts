// The process table: one row per process (a card on narrow screens, by CSS), with its
// operations and the result of the last one asked from this page. A partition filter hides the
// rows of the other partitions (they are kept current all the same). In a fleet (the processes
// carry their node) a Node column says where each runs, and marks a node that is down.
import type { ManagedProcess, Operation } from './apiTypes.js';
import { formatClock, formatDateTime, formatLastExit, formatPeriod } from './displayFormats.js';
import { el } from './elements.js';
import { availabilityOf, type ProcessOperation } from './operationAvailability.js';
import { markUnavailable, operationButton, outcomeLine, type ActionOutcome } from './operationButton.js';

export interface ProcessTableActions {
  operate(process: ManagedProcess, operation: Operation): Promise<ActionOutcome>;
  remove(process: ManagedProcess): Promise<ActionOutcome | null>;
  select(process: ManagedProcess): void;
}

const OPERATIONS: readonly Operation[] = ['START', 'SUSPEND', 'RESUME', 'STOP'];

interface RowParts {
  row: HTMLTableRowElement;
  cells: Record<'id' | 'name' | 'partition' | 'node' | 'type' | 'period' | 'state' | 'pid' | 'runs' | 'lastExit' | 'nextRelease', HTMLTableCellElement>;
  nameButton: HTMLButtonElement;
  nodeDownBadge: HTMLSpanElement;
  stateBadge: HTMLSpanElement;
  outputWarning: HTMLSpanElement;
  outcome: HTMLParagraphElement;
  /** Enabled or not by the process's state, each time the row is filled. */
  buttons: Map<ProcessOperation, HTMLButtonElement>;
  process: ManagedProcess;
}

export class ProcessTable {
  private readonly rows = new Map<number, RowParts>();
  private selectedId: number | null = null;
  /** null: every partition is shown. */
  private shownPartition: string | null = null;
  /** Shown while the listed processes carry their node: the page is on a node of a fleet. */
  private nodeColumnShown = false;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly emptyNote: HTMLElement,
    private readonly countLabel: HTMLElement,
    private readonly nodeHeader: HTMLElement,
    private readonly actions: ProcessTableActions,
  ) {}

  replaceAll(processes: readonly ManagedProcess[]): void {
    this.showNodeColumn(processes.some((process) => process.node !== undefined));
    const keep = new Set(processes.map((process) => process.id));
    for (const id of [...this.rows.keys()]) if (!keep.has(id)) this.remove(id);
    for (const process of processes) this.upsert(process);
  }

  upsert(process: ManagedProcess): void {
    if (process.node !== undefined) this.showNodeColumn(true);
    let parts = this.rows.get(process.id);
    if (!parts) {
      parts = this.makeRow(process);
      this.rows.set(process.id, parts);
      this.insertInOrder(parts.row, process.id);
    }
    parts.process = process;
    parts.row.hidden = !this.isShown(process);
    fill(parts, process);
    this.refreshSummary();
  }

  remove(id: number): void {
    this.rows.get(id)?.row.remove();
    this.rows.delete(id);
    this.refreshSummary();
  }

  has(id: number): boolean {
    return this.rows.has(id);
  }

  /** The process as its row shows it now. */
  processOf(id: number): ManagedProcess | undefined {
    return this.rows.get(id)?.process;
  }

  private showNodeColumn(shown: boolean): void {
    if (shown === this.nodeColumnShown) return;
    this.nodeColumnShown = shown;
    this.nodeHeader.hidden = !shown;
    for (const parts of this.rows.values()) parts.cells.node.hidden = !shown;
  }

  /** Shows only the processes of one partition, or (null) of all. */
  showPartition(partition: string | null): void {
    this.shownPartition = partition;
    for (const parts of this.rows.values()) parts.row.hidden = !this.isShown(parts.process);
    this.refreshSummary();
  }

  private isShown(process: ManagedProcess): boolean {
    return this.shownPartition === null || process.partition === this.shownPartition;
  }

  markSelected(id: number | null): void {
    this.selectedId = id;
    for (const [rowId, parts] of this.rows) {
      parts.row.classList.toggle('selected', rowId === id);
      parts.nameButton.setAttribute('aria-pressed', String(rowId === id));
    }
  }

  private makeRow(process: ManagedProcess): RowParts {
    const cell = (label: string, className = ''): HTMLTableCellElement => el('td', { className, attrs: { 'data-label': label } });
    // The name heads its row, so that a screen reader says which process a button belongs to.
    const rowHeader = el('th', { className: 'name', attrs: { 'data-label': 'Name', scope: 'row' } });
    const cells = {
      id: cell('Id', 'num id'),
      name: rowHeader,
      partition: cell('Partition'),
      node: cell('Node'),
      type: cell('Type'),
      period: cell('Period', 'num'),
      state: cell('State'),
      pid: cell('Pid', 'num'),
      runs: cell('Runs', 'num'),
      lastExit: cell('Last exit'),
      nextRelease: cell('Next release'),
    };
    const nameButton = el('button', { className: 'link', attrs: { type: 'button', 'aria-pressed': 'false' } });
    cells.name.append(nameButton);
    const stateBadge = el('span', { className: 'state' });
    // Shown while the daemon cannot write the jobs' output to the process's log.
    const outputWarning = el('span', { className: 'output-warning' }, [el('span', { text: '⚠ ', attrs: { 'aria-hidden': 'true' } }), 'output not logged']);
    cells.state.append(stateBadge, outputWarning);
    cells.node.hidden = !this.nodeColumnShown;
    const nodeDownBadge = el('span', {
      className: 'node-down',
      text: 'down',
      attrs: { title: 'Its node is down: the process is shown as etcd last recorded it.' },
    });
    const outcome = outcomeLine();
    const row = el('tr', { attrs: { 'data-process-id': String(process.id) } }, Object.values(cells));
    const buttons = new Map<ProcessOperation, HTMLButtonElement>();
    const parts: RowParts = { row, cells, nameButton, nodeDownBadge, stateBadge, outputWarning, outcome, buttons, process };
    nameButton.addEventListener('click', () => this.actions.select(parts.process));
    for (const operation of OPERATIONS) {
      buttons.set(operation, operationButton(operation, outcome, () => this.actions.operate(parts.process, operation)));
    }
    buttons.set('DELETE', operationButton('DELETE', outcome, () => this.actions.remove(parts.process), { className: 'danger' }));
    const group = el('div', { className: 'operations' }, [...buttons.values()]);
    row.append(el('td', { className: 'ops', attrs: { 'data-label': 'Operations' } }, [group, outcome]));
    if (process.id === this.selectedId) row.classList.add('selected');
    return parts;
  }

  private insertInOrder(row: HTMLTableRowElement, id: number): void {
    const after = [...this.rows.entries()].filter(([otherId]) => otherId > id).sort(([a], [b]) => a - b)[0];
    this.body.insertBefore(row, after ? after[1].row : null);
  }

  private refreshSummary(): void {
    const shown = [...this.rows.values()].filter((parts) => !parts.row.hidden).length;
    this.emptyNote.hidden = shown > 0;
    this.emptyNote.textContent = this.rows.size === 0 ? 'No processes yet: create one below.' : `No process in the partition ${this.shownPartition ?? ''}.`;
    this.countLabel.textContent = shown === this.rows.size ? `(${shown})` : `(${shown} of ${this.rows.size})`;
  }
}

function fill(parts: RowParts, process: ManagedProcess): void {
  const { cells } = parts;
  cells.id.textContent = String(process.id);
  parts.nameButton.textContent = process.name;
  parts.nameButton.setAttribute('aria-label', `${process.name}: show details`);
  cells.partition.textContent = process.partition;
  const nodeDown = process.nodeStatus === 'down';
  cells.node.replaceChildren(process.node ?? '', ...(nodeDown ? [' ', parts.nodeDownBadge] : []));
  parts.row.classList.toggle('on-down-node', nodeDown);
  cells.type.textContent = process.type === 'PERIODIC' ? 'periodic' : 'one-shot';
  cells.period.textContent = formatPeriod(process);
  parts.stateBadge.textContent = process.state;
  parts.stateBadge.className = `state state-${process.state.toLowerCase()}`;
  parts.outputWarning.hidden = process.outputError === null;
  parts.outputWarning.title = process.outputError ?? '';
  cells.pid.textContent = process.pid === null ? '—' : String(process.pid);
  cells.runs.textContent = String(process.runs);
  cells.lastExit.textContent = formatLastExit(process.lastExit);
  cells.lastExit.title = process.lastExit ? `at ${formatDateTime(process.lastExit.at)}` : '';
  cells.lastExit.classList.toggle('bad', process.lastExit !== null && (process.lastExit.error !== null || (process.lastExit.code ?? 0) !== 0));
  cells.nextRelease.textContent = formatClock(process.nextReleaseAt);
  cells.nextRelease.title = process.nextReleaseAt ?? '';
  for (const [operation, button] of parts.buttons) {
    const availability = availabilityOf(process.type, process.state, operation);
    markUnavailable(button, availability.enabled ? null : availability.reason);
  }
}
