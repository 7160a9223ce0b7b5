// What the page does on a node of a fleet: the nodes panel, the create form's node fields, and a
// read of the whole list and of the nodes every 2 s, since the events of other nodes' processes
// never reach this node's stream. A node started without --fleet never turns it on, and the page
// then stays led by its events alone.
import { ApiError, type ApiClient } from './apiClient.js';
import type { ManagedProcess } from './apiTypes.js';
import { fillNodeChoice, showCreateFleetFields } from './createFleetFields.js';
import { byId } from './elements.js';
import { NodesPanel } from './nodesPanel.js';

const FLEET_READ_EVERY_MS = 2000;

export interface FleetModeActions {
  /** Reads the whole process list again; resolves once it is shown (or failed). */
  reloadList(): Promise<void>;
  onUnauthorized(message: string): void;
}

export class FleetMode {
  /** This node's --node-name, once GET /node said it (never for a partition token, which may not ask). */
  private ownName: string | null = null;
  private on = false;
  private stopped = false;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  /** Null for a partition token: GET /nodes is the node token's only. */
  private readonly nodes: NodesPanel | null;

  constructor(
    private readonly api: ApiClient,
    private readonly actions: FleetModeActions,
    partitionToken: boolean,
  ) {
    this.nodes = partitionToken
      ? null
      : new NodesPanel(
          api,
          { section: byId('nodes'), rows: byId('node-rows'), count: byId('node-count'), fleet: byId('nodes-fleet'), error: byId('nodes-error') },
          { onUpNodes: (names) => fillNodeChoice(names), onUnauthorized: actions.onUnauthorized },
        );
  }

  get nodeName(): string | null {
    return this.ownName;
  }

  get active(): boolean {
    return this.on;
  }

  /**
   * Asks GET /node whether this node is in a fleet. A partition token may not ask: its page turns
   * fleet mode on from the list instead (noticeList), once a process there carries its node.
   */
  async start(): Promise<void> {
    if (this.nodes === null) return;
    try {
      const facts = await this.api.nodeFacts();
      if (facts.nodeName === null || this.stopped) return;
      this.ownName = facts.nodeName;
      this.turnOn();
    } catch (error) {
      // Unreachable now: the list still tells, as its processes carry their node.
      if (error instanceof ApiError && error.status === 401) this.actions.onUnauthorized(error.message);
    }
  }

  noticeList(processes: readonly ManagedProcess[]): void {
    if (processes.some((process) => process.node !== undefined)) this.turnOn();
  }

  stop(): void {
    this.stopped = true;
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.readTimer = null;
    this.nodes?.stop();
    showCreateFleetFields(false);
  }

  private turnOn(): void {
    if (this.on || this.stopped) return;
    this.on = true;
    this.nodes?.show();
    showCreateFleetFields(true);
    void this.readAll();
  }

  /** The next read is planned once this one is shown: a slow daemon is never asked twice at once. */
  private async readAll(): Promise<void> {
    this.readTimer = null;
    await Promise.all([this.actions.reloadList(), this.nodes?.load()]);
    if (!this.stopped) this.readTimer = setTimeout(() => void this.readAll(), FLEET_READ_EVERY_MS);
  }
}
