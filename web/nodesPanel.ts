// The nodes panel, on a node of a fleet: every node with its state, running jobs and labels, and
// whether etcd answers this node. Node token only: a token the daemon refuses it to (403) hides
// the panel for good, without a word, since nothing on it concerns that token.
import { ApiError, type ApiClient } from './apiClient.js';
import type { NodeList } from './apiTypes.js';
import { NodeRow } from './nodeRow.js';
import { placeRows } from './rowOrder.js';

export interface NodesPanelParts {
  section: HTMLElement;
  rows: HTMLTableSectionElement;
  count: HTMLElement;
  fleet: HTMLElement;
  error: HTMLElement;
}

export interface NodesPanelActions {
  /** Told the nodes that are up after each read, for the create form's choice. */
  onUpNodes(names: string[]): void;
  onUnauthorized(message: string): void;
}

export class NodesPanel {
  /** By name, kept across reads. */
  private readonly rows = new Map<string, NodeRow>();
  private refused = false;
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly parts: NodesPanelParts,
    private readonly actions: NodesPanelActions,
  ) {}

  show(): void {
    if (!this.refused && !this.stopped) this.parts.section.hidden = false;
  }

  async load(): Promise<void> {
    if (this.refused || this.stopped) return;
    try {
      const list = await this.api.listNodes();
      if (this.stopped) return;
      this.render(list);
      this.parts.error.textContent = '';
      this.actions.onUpNodes(list.nodes.filter((node) => node.status === 'up').map((node) => node.name));
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof ApiError && error.status === 403) {
        this.refused = true;
        this.parts.section.hidden = true;
        return;
      }
      if (error instanceof ApiError && error.status === 401) this.actions.onUnauthorized(error.message);
      this.parts.error.textContent = `Cannot read the nodes: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  stop(): void {
    this.stopped = true;
    this.rows.clear();
    this.parts.section.hidden = true;
    this.parts.rows.replaceChildren();
    this.parts.count.textContent = '';
    this.parts.fleet.replaceChildren();
    this.parts.error.textContent = '';
  }

  private render(list: NodeList): void {
    const up = list.nodes.filter((node) => node.status === 'up').length;
    this.parts.count.textContent = `(${up} of ${list.nodes.length} up)`;
    this.parts.fleet.textContent =
      list.fleet === 'unreachable' ? '⚠ etcd does not answer this node: the nodes are shown as it last read them.' : 'etcd: connected.';
    this.parts.fleet.className = list.fleet === 'unreachable' ? 'warning' : 'hint';
    const shown = list.nodes.map((node) => {
      let row = this.rows.get(node.name);
      if (!row) {
        row = new NodeRow(node.name);
        this.rows.set(node.name, row);
      }
      row.fill(node);
      return row.element;
    });
    const names = new Set(list.nodes.map((node) => node.name));
    for (const name of [...this.rows.keys()]) if (!names.has(name)) this.rows.delete(name);
    placeRows(this.parts.rows, shown);
  }
}
