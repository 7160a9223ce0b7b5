// The partitions panel: each partition the token may see, with its counts, limits and what its
// cgroup has used, its operations, and a visible warning for every limit that is set but does not hold.
import { ApiError, type ApiClient } from './apiClient.js';
import type { Partition } from './apiTypes.js';
import { el } from './elements.js';
import { partitionAdminOf, type PartitionAdmin } from './partitionAdmin.js';
import { PartitionRow, type PartitionOperate } from './partitionRow.js';
import { placeRows } from './rowOrder.js';

/** Events arrive in bursts (a partition STOP ends many jobs): one read after the burst. */
const REFRESH_DELAY_MS = 500;
/** Usage changes without events; read again now and then while the page is open. */
const USAGE_REFRESH_MS = 10_000;

const LIMIT_WORDS: Record<string, string> = { cpu: 'CPU', memoryBytes: 'memory', pids: 'pids', maxRunning: 'max running' };

export interface PartitionPanelParts {
  rows: HTMLTableSectionElement;
  warnings: HTMLElement;
  error: HTMLElement;
  count: HTMLElement;
}

export interface PartitionPanelActions {
  /** Told the names after each read, for the partition filter and the create form. */
  onNames(names: string[]): void;
  onUnauthorized(message: string): void;
  operate: PartitionOperate;
  messageOf(error: unknown): string;
}

export class PartitionPanel {
  /** By name, kept across reads: a focused or busy button and the last answer stay put. */
  private readonly rows = new Map<string, PartitionRow>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly usageTimer: ReturnType<typeof setInterval>;
  private reading: Promise<void> | null = null;
  private readAgain: Promise<void> | null = null;
  private stopped = false;
  /** Null for a partition token: its page has no limits editor, DELETE or new-partition form. */
  private readonly admin: PartitionAdmin | null;

  constructor(
    private readonly api: ApiClient,
    private readonly parts: PartitionPanelParts,
    private readonly actions: PartitionPanelActions,
    withAdmin: boolean,
  ) {
    this.admin = withAdmin ? partitionAdminOf(api, () => this.load(), actions.messageOf) : null;
    this.usageTimer = setInterval(() => this.refreshSoon(), USAGE_REFRESH_MS);
  }

  /** Reads the partitions again shortly; asks made meanwhile fold into the same read. */
  refreshSoon(): void {
    if (this.stopped || this.refreshTimer !== null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.load();
    }, REFRESH_DELAY_MS);
  }

  /** Resolves once a read that began after this call has been shown (a change made just before is in it). */
  load(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.reading === null) {
      this.reading = this.read().finally(() => {
        this.reading = null;
      });
      return this.reading;
    }
    // Asks made during a read fold into one more read after it.
    this.readAgain ??= this.reading.then(() => {
      this.readAgain = null;
      return this.load();
    });
    return this.readAgain;
  }

  private async read(): Promise<void> {
    try {
      const partitions = await this.api.listPartitions();
      if (this.stopped) return;
      this.render(partitions);
      this.parts.error.textContent = '';
      this.actions.onNames(partitions.map((partition) => partition.name));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.actions.onUnauthorized(error.message);
      this.parts.error.textContent = `Cannot read the partitions: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.usageTimer);
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.rows.clear();
    this.parts.rows.replaceChildren();
    this.parts.warnings.replaceChildren();
  }

  private render(partitions: Partition[]): void {
    this.parts.count.textContent = `(${partitions.length})`;
    const shown = partitions.map((partition) => {
      let row = this.rows.get(partition.name);
      if (!row) {
        row = new PartitionRow(partition.name, this.actions.operate, this.admin);
        this.rows.set(partition.name, row);
      }
      row.fill(partition);
      return row.element;
    });
    const names = new Set(partitions.map((partition) => partition.name));
    for (const name of [...this.rows.keys()]) if (!names.has(name)) this.rows.delete(name);
    placeRows(this.parts.rows, shown);
    this.parts.warnings.replaceChildren(
      ...partitions.flatMap((partition) =>
        partition.unenforced.map((entry) =>
          el('p', { className: 'warning', attrs: { role: 'status' } }, [
            el('strong', { text: `⚠ The ${LIMIT_WORDS[entry.limit] ?? entry.limit} limit of ${partition.name} is not enforced` }),
            ` on this node: ${entry.reason}`,
          ]),
        ),
      ),
    );
  }
}
