// One row of the partitions panel: the partition's counts, limits and usage, filled again in place
// on each read (so a focused or busy button and the last answer stay), its operations, and for
// the node token its limits editor, its tokens and DELETE.
import type { Operation, Partition } from './apiTypes.js';
import { formatBytes, formatMs } from './displayFormats.js';
import { el } from './elements.js';
import { operationButton, outcomeLine, type ActionOutcome } from './operationButton.js';
import type { PartitionAdmin } from './partitionAdmin.js';
import type { LimitName } from './partitionLimitFields.js';
import { PartitionLimitsEditor } from './partitionLimitsEditor.js';
import { PartitionTokensView } from './partitionTokens.js';

export type PartitionOperate = (partition: string, operation: Operation) => Promise<ActionOutcome>;

const OPERATIONS: ReadonlyArray<{ operation: Operation; verb: string }> = [
  { operation: 'START', verb: 'Start' },
  { operation: 'SUSPEND', verb: 'Suspend' },
  { operation: 'RESUME', verb: 'Resume' },
  { operation: 'STOP', verb: 'Stop' },
];

export class PartitionRow {
  readonly element: HTMLTableRowElement;
  private readonly cells: Record<'processes' | 'running' | 'used', HTMLTableCellElement>;
  private readonly limitCells: Record<LimitName, HTMLTableCellElement>;
  private readonly editor: PartitionLimitsEditor | null = null;

  /** `admin` null: a partition token's page, which has the operations only. */
  constructor(name: string, operate: PartitionOperate, admin: PartitionAdmin | null) {
    const cell = (label: string, className = ''): HTMLTableCellElement => el('td', { className, attrs: { 'data-label': label } });
    this.cells = { processes: cell('Processes', 'num'), running: cell('Running', 'num'), used: cell('Used') };
    this.limitCells = {
      maxRunning: cell('Max running'),
      cpu: cell('CPU'),
      memoryBytes: cell('Memory'),
      pids: cell('Pids'),
      maxProcesses: cell('Max processes'),
      definitionBytes: cell('Definitions'),
    };
    const outcome = outcomeLine();
    const buttons = el('div', { className: 'operations partition-operations' });
    for (const { operation, verb } of OPERATIONS) {
      buttons.append(operationButton(operation, outcome, () => operate(name, operation), { ariaLabel: `${verb} partition ${name}`, busyScope: buttons }));
    }
    const adminParts: HTMLElement[] = [];
    if (admin) {
      this.editor = new PartitionLimitsEditor(name, outcome, (partition, limits) => admin.changeLimits(partition, limits));
      const tokens = new PartitionTokensView(name, admin.tokens);
      const adminButtons = el('div', { className: 'operations partition-admin' }, [this.editor.toggle, tokens.toggle]);
      // The default partition is never deleted (the API says 409): no button offers it.
      if (name !== 'default') {
        adminButtons.append(operationButton('DELETE', outcome, () => admin.remove(name), { className: 'danger', ariaLabel: `Delete partition ${name}`, busyScope: adminButtons }));
      }
      adminParts.push(adminButtons, this.editor.form, tokens.element);
    }
    // The name heads its row, as a process's does, so that the buttons are heard with it.
    this.element = el('tr', { attrs: { 'data-partition': name } }, [
      el('th', { className: 'name', text: name, attrs: { scope: 'row', 'data-label': 'Name' } }),
      this.cells.processes,
      this.cells.running,
      this.limitCells.maxRunning,
      this.limitCells.cpu,
      this.limitCells.memoryBytes,
      this.limitCells.pids,
      this.limitCells.maxProcesses,
      this.limitCells.definitionBytes,
      this.cells.used,
      el('td', { className: 'ops', attrs: { 'data-label': 'Operations' } }, [buttons, ...adminParts, outcome]),
    ]);
  }

  fill(partition: Partition): void {
    this.editor?.fill(partition);
    this.cells.processes.textContent = String(partition.processes);
    this.cells.running.textContent = String(partition.running);
    const unenforced = new Map(partition.unenforced.map((entry) => [entry.limit, entry.reason]));
    const limitTexts: Record<LimitName, string> = {
      maxRunning: partition.maxRunning === null ? '—' : String(partition.maxRunning),
      cpu: partition.cpu === null ? '—' : `${partition.cpu} core${partition.cpu === 1 ? '' : 's'}`,
      memoryBytes: partition.memoryBytes === null ? '—' : formatBytes(partition.memoryBytes),
      pids: partition.pids === null ? '—' : String(partition.pids),
      maxProcesses: partition.maxProcesses === null ? '—' : String(partition.maxProcesses),
      definitionBytes: `${formatBytes(partition.definitionBytesUsed)} of ${partition.definitionBytes === null ? '—' : formatBytes(partition.definitionBytes)}`,
    };
    for (const [limit, text] of Object.entries(limitTexts) as Array<[LimitName, string]>) {
      fillLimit(this.limitCells[limit], text, unenforced.get(limit));
    }
    const { usage } = partition;
    const used = [
      usage.cpuMs === null ? null : `CPU ${formatMs(usage.cpuMs)}`,
      usage.memoryBytes === null ? null : `memory ${formatBytes(usage.memoryBytes)}`,
      usage.pids === null ? null : `${usage.pids} pids`,
    ].filter((part): part is string => part !== null);
    this.cells.used.textContent = used.length === 0 ? '—' : used.join(', ');
  }
}

/** A limit that is set but does not hold is marked in its cell, with the reason as a tooltip. */
function fillLimit(cell: HTMLTableCellElement, text: string, unenforcedReason: string | undefined): void {
  cell.replaceChildren(text);
  cell.classList.toggle('unenforced', unenforcedReason !== undefined);
  cell.title = unenforcedReason === undefined ? '' : `not enforced: ${unenforcedReason}`;
  if (unenforcedReason !== undefined) cell.append(el('span', { className: 'unenforced-mark', text: ' ⚠ not enforced' }));
}
