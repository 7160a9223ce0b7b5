// One row of the nodes panel, filled again in place on each read (a focused link stays focused):
// the node's name, up or down, its running jobs, its labels and where it serves.
import type { FleetNode } from './apiTypes.js';
import { el } from './elements.js';

export class NodeRow {
  readonly element: HTMLTableRowElement;
  private readonly status = el('span', { className: 'node-status' });
  private readonly cells: Record<'runningJobs' | 'labels' | 'url', HTMLTableCellElement>;

  constructor(name: string) {
    const cell = (label: string, className = ''): HTMLTableCellElement => el('td', { className, attrs: { 'data-label': label } });
    this.cells = { runningJobs: cell('Running jobs', 'num'), labels: cell('Labels'), url: cell('URL') };
    this.element = el('tr', { attrs: { 'data-node': name } }, [
      el('th', { className: 'name', text: name, attrs: { scope: 'row', 'data-label': 'Name' } }),
      el('td', { attrs: { 'data-label': 'Status' } }, [this.status]),
      this.cells.runningJobs,
      this.cells.labels,
      this.cells.url,
    ]);
  }

  fill(node: FleetNode): void {
    this.status.textContent = node.status;
    this.status.className = `node-status node-${node.status}`;
    // A node that is down says nothing of its jobs: what it last said may be long past.
    this.cells.runningJobs.textContent = node.runningJobs === null ? '—' : String(node.runningJobs);
    const labels = Object.entries(node.labels).map(([key, value]) => el('code', { className: 'node-label', text: `${key}=${value}` }));
    this.cells.labels.replaceChildren(labels.length === 0 ? '—' : el('span', { className: 'node-labels' }, labels));
    if (this.cells.url.textContent !== node.url) this.cells.url.replaceChildren(linkOf(node.url));
  }
}

/** A link to the node's own page; an address that is not http(s) is shown as text, never followed. */
function linkOf(url: string): Node {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not a URL: shown as it is.
  }
  return protocol === 'http:' || protocol === 'https:' ? el('a', { text: url, attrs: { href: url } }) : document.createTextNode(url);
}
