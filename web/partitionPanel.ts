// The partitions panel: each partition the token may see, with its counts, limits and what its
// cgroup has used, and a visible warning for every limit that is set but does not hold.
import { ApiError, type ApiClient } from './apiClient.js';
import type { Partition } from './apiTypes.js';
import { formatBytes, formatMs } from './displayFormats.js';
import { el } from './elements.js';

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

export class PartitionPanel {
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly usageTimer: ReturnType<typeof setInterval>;
  private loading = false;
  private loadAgain = false;
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly parts: PartitionPanelParts,
    /** Told the names after each read, for the partition filter and the create form. */
    private readonly onNames: (names: string[]) => void,
    private readonly onUnauthorized: (message: string) => void,
  ) {
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

  async load(): Promise<void> {
    if (this.loading) {
      this.loadAgain = true;
      return;
    }
    this.loading = true;
    try {
      const partitions = await this.api.listPartitions();
      if (this.stopped) return;
      this.render(partitions);
      this.parts.error.textContent = '';
      this.onNames(partitions.map((partition) => partition.name));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.onUnauthorized(error.message);
      this.parts.error.textContent = `Cannot read the partitions: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.loading = false;
      if (this.loadAgain && !this.stopped) {
        this.loadAgain = false;
        void this.load();
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.usageTimer);
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.parts.rows.replaceChildren();
    this.parts.warnings.replaceChildren();
  }

  private render(partitions: Partition[]): void {
    this.parts.count.textContent = `(${partitions.length})`;
    this.parts.rows.replaceChildren(...partitions.map(rowOf));
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

function rowOf(partition: Partition): HTMLTableRowElement {
  const unenforced = new Map(partition.unenforced.map((entry) => [entry.limit, entry.reason]));
  const limitCell = (label: string, limit: string, text: string): HTMLTableCellElement => {
    const reason = unenforced.get(limit);
    const cell = el('td', { attrs: { 'data-label': label } }, [text]);
    if (reason !== undefined) {
      cell.classList.add('unenforced');
      cell.title = `not enforced: ${reason}`;
      cell.append(el('span', { className: 'unenforced-mark', text: ' ⚠ not enforced' }));
    }
    return cell;
  };
  const { usage } = partition;
  const used = [
    usage.cpuMs === null ? null : `CPU ${formatMs(usage.cpuMs)}`,
    usage.memoryBytes === null ? null : `memory ${formatBytes(usage.memoryBytes)}`,
    usage.pids === null ? null : `${usage.pids} pids`,
  ].filter((part): part is string => part !== null);
  return el('tr', { attrs: { 'data-partition': partition.name } }, [
    el('th', { className: 'name', text: partition.name, attrs: { scope: 'row', 'data-label': 'Name' } }),
    el('td', { className: 'num', text: String(partition.processes), attrs: { 'data-label': 'Processes' } }),
    el('td', { className: 'num', text: String(partition.running), attrs: { 'data-label': 'Running' } }),
    limitCell('Max running', 'maxRunning', partition.maxRunning === null ? '—' : String(partition.maxRunning)),
    limitCell('CPU', 'cpu', partition.cpu === null ? '—' : `${partition.cpu} core${partition.cpu === 1 ? '' : 's'}`),
    limitCell('Memory', 'memoryBytes', partition.memoryBytes === null ? '—' : formatBytes(partition.memoryBytes)),
    limitCell('Pids', 'pids', partition.pids === null ? '—' : String(partition.pids)),
    el('td', { text: used.length === 0 ? '—' : used.join(', '), attrs: { 'data-label': 'Used' } }),
  ]);
}
