// The run history of one process (GET /processes/{id}/runs), newest first, and for a PERIODIC
// process the chart of its timing.
import type { ApiClient } from './apiClient.js';
import type { ManagedProcess, Run } from './apiTypes.js';
import { formatDateTime, formatMs, formatRunExit } from './displayFormats.js';
import { el } from './elements.js';
import { runChart } from './runChart.js';

const RUNS_SHOWN = 50;

export class RunHistory {
  readonly root: HTMLElement;
  private readonly chartSlot: HTMLElement;
  private readonly tableSlot: HTMLElement;
  private loading = false;
  private again = false;

  constructor(
    private readonly api: ApiClient,
    private process: ManagedProcess,
  ) {
    this.chartSlot = el('div', { className: 'chart-slot' });
    this.tableSlot = el('div', { className: 'runs-slot' });
    this.root = el('div', { className: 'run-history' }, [
      el('h3', { text: 'Runs' }),
      this.chartSlot,
      this.tableSlot,
    ]);
  }

  setProcess(process: ManagedProcess): void {
    const typeChanged = process.type !== this.process.type;
    this.process = process;
    if (typeChanged) this.reload();
  }

  /** Loads the runs again; calls made while a load is under way are folded into one more. */
  reload(): void {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    void this.api
      .listRuns(this.process.id, RUNS_SHOWN)
      .then((runs) => this.render(runs))
      .catch((error: unknown) => {
        this.tableSlot.replaceChildren(el('p', { className: 'error', text: `Cannot read the runs: ${error instanceof Error ? error.message : String(error)}` }));
      })
      .finally(() => {
        this.loading = false;
        if (this.again) {
          this.again = false;
          this.reload();
        }
      });
  }

  private render(runs: Run[]): void {
    const periodic = this.process.type === 'PERIODIC';
    this.chartSlot.replaceChildren(periodic ? runChart(runs, this.process.timeCapacityMs) : '');
    if (runs.length === 0) {
      this.tableSlot.replaceChildren(el('p', { className: 'empty', text: 'No runs yet.' }));
      return;
    }
    const headings = ['Started', 'Duration', 'Exit', ...(periodic ? ['Lateness'] : []), 'Pid'];
    const rows = runs.map((run) =>
      el('tr', {}, [
        el('td', { text: formatDateTime(run.startedAt), attrs: { title: run.startedAt } }),
        el('td', { className: 'num', text: formatMs(run.durationMs) }),
        el('td', { className: run.error !== null || (run.exitCode ?? 0) !== 0 ? 'bad' : '', text: formatRunExit(run) }),
        periodic ? el('td', { className: 'num', text: run.releaseLatenessMs === null ? '—' : formatMs(run.releaseLatenessMs) }) : null,
        el('td', { className: 'num', text: run.pid === null ? '—' : String(run.pid) }),
      ]),
    );
    const table = el('table', { className: 'runs' }, [
      el('caption', { className: 'hint', text: `The last ${runs.length} runs, newest first.` }),
      el('thead', {}, [el('tr', {}, headings.map((heading) => el('th', { text: heading, attrs: { scope: 'col' } })))]),
      el('tbody', {}, rows),
    ]);
    this.tableSlot.replaceChildren(el('div', { className: 'scroll' }, [table]));
  }
}
