// The logged-in page: the process list kept current from GET /events, the operations, the
// detail pane and the create form. Each event makes the page read the one process it names
// again; a `gap` (events lost while away) makes it read the whole list again. The partitions
// panel is read with the list, and again shortly after events (its counts follow the processes').
// An operation on a whole partition reads nothing again: its processes' events bring the changes.
// On a node of a fleet, fleetMode also reads the list and the nodes again every 2 s. The schedule
// timeline is handed every reading and event the page gets.
import { ApiError, type ApiClient } from './apiClient.js';
import type { ManagedProcess, Operation, SigmaEvent } from './apiTypes.js';
import { wireCreateForm } from './createForm.js';
import { DetailPane } from './detailPane.js';
import { wireDisclosure } from './disclosure.js';
import { byId } from './elements.js';
import { EventStream, type StreamStatus } from './eventStream.js';
import { withFleetFields } from './fleetFields.js';
import { FleetMode } from './fleetMode.js';
import type { ActionOutcome } from './operationButton.js';
import { fillPartitionField, fillPartitionFilter } from './partitionChoices.js';
import { partitionOutcomeOf } from './partitionOutcome.js';
import { wirePartitionForm } from './partitionForm.js';
import { PartitionPanel } from './partitionPanel.js';
import { ProcessTable } from './processTable.js';
import { TimelinePanel } from './timelinePanel.js';

export class LiveDashboard {
  private readonly table: ProcessTable;
  private readonly detail: DetailPane;
  private readonly events: EventStream;
  private readonly partitions: PartitionPanel;
  private readonly fleet: FleetMode;
  private readonly timeline: TimelinePanel;
  private readonly partitionFilter = byId<HTMLSelectElement>('partition-filter');
  private readonly onFilterChange = (): void => this.table.showPartition(this.partitionFilter.value === '' ? null : this.partitionFilter.value);
  private readonly unwireCreateForm: () => void;
  private readonly unwirePartitionForm: (() => void) | null;
  private readonly unwirePartitionsToggle: () => void;
  /** Ids are never reused: an answer that arrives after a delete must not bring a row back. */
  private readonly deletedIds = new Set<number>();
  private readonly refreshing = new Map<number, { again: boolean }>();
  /** Events that arrive while the whole list is being read wait here, then apply on top of it. */
  private heldEvents: SigmaEvent[] | null = null;
  private listLoadedOnce = false;
  private lastStatus: StreamStatus = 'connecting';
  private stopped = false;

  constructor(
    private readonly api: ApiClient,
    private readonly onUnauthorized: (message: string) => void,
    /** A partition token may not create, change or delete partitions: the page offers none of it. */
    partitionToken: boolean,
  ) {
    this.table = new ProcessTable(byId('process-rows'), byId('no-processes'), byId('process-count'), byId('node-column'), {
      operate: (process, operation) => this.operate(process, operation),
      remove: (process) => this.remove(process),
      select: (process) => this.select(process),
    });
    this.detail = new DetailPane(api, byId('detail-title'), byId('detail-empty'), byId('detail-body'), () => this.select(null));
    this.events = new EventStream(api, {
      onEvent: (event) => this.receive(event),
      onStatus: (status, detail) => this.showStatus(status, detail),
      onUnauthorized: (message) => this.unauthorized(message),
    });
    this.partitions = new PartitionPanel(
      api,
      { rows: byId('partition-rows'), warnings: byId('partition-warnings'), error: byId('partition-error'), count: byId('partition-count') },
      {
        onNames: (names) => {
          fillPartitionFilter(this.partitionFilter, names);
          fillPartitionField(byId<HTMLSelectElement>('create-partition'), names);
          this.timeline.setPartitions(names);
          this.onFilterChange();
        },
        onUnauthorized: (message) => this.unauthorized(message),
        operate: (partition, operation) => this.operatePartition(partition, operation),
        messageOf: (error) => this.messageOf(error),
      },
      !partitionToken,
    );
    this.fleet = new FleetMode(api, { reloadList: () => this.loadList(), onUnauthorized: (message) => this.unauthorized(message) }, partitionToken);
    this.timeline = new TimelinePanel(api, {
      isOwn: (process) => process.node === undefined || this.fleet.nodeName === null || process.node === this.fleet.nodeName,
      messageOf: (error) => this.messageOf(error),
    });
    this.partitionFilter.addEventListener('change', this.onFilterChange);
    this.unwireCreateForm = wireCreateForm(api, (process) => {
      this.apply(process);
      this.refresh(process.id);
    });
    // Closed at first: the processes, their details and the create form fit a laptop's screen above it.
    this.unwirePartitionsToggle = wireDisclosure(byId<HTMLButtonElement>('partitions-toggle'));
    this.unwirePartitionForm = partitionToken ? null : wirePartitionForm(api, () => void this.partitions.load(), (error) => this.messageOf(error));
  }

  start(): void {
    this.events.start();
    void this.fleet.start();
  }

  stop(): void {
    this.stopped = true;
    this.events.close();
    this.detail.close();
    this.unwireCreateForm();
    this.unwirePartitionForm?.();
    this.unwirePartitionsToggle();
    this.partitions.stop();
    this.fleet.stop();
    this.timeline.stop();
    this.partitionFilter.removeEventListener('change', this.onFilterChange);
    fillPartitionFilter(this.partitionFilter, []);
    this.table.showPartition(null);
    this.table.replaceAll([]);
    byId('connection').hidden = true;
  }

  private showStatus(status: StreamStatus, detail: string): void {
    const label = byId('connection');
    label.hidden = false;
    label.dataset['status'] = status;
    label.textContent = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : `Reconnecting… (${detail})`;
    // The list is read once the event stream is open (or could not be), so no change falls between
    // the two; and again after each reconnection, since the daemon may have restarted meanwhile.
    const reconnected = status === 'live' && this.lastStatus === 'reconnecting';
    if ((!this.listLoadedOnce && status !== 'connecting') || reconnected) {
      this.listLoadedOnce = true;
      void this.loadList();
    }
    if (reconnected) {
      this.detail.resume();
      this.timeline.resume();
    }
    this.lastStatus = status;
  }

  private async loadList(): Promise<void> {
    this.heldEvents ??= [];
    void this.partitions.load();
    try {
      const processes = await this.api.listProcesses();
      if (this.stopped) return;
      const kept = processes.filter((process) => !this.deletedIds.has(process.id));
      this.table.replaceAll(kept);
      this.timeline.replaceAll(kept);
      this.fleet.noticeList(processes);
      for (const process of processes) this.detail.update(process);
      const shownId = this.detail.processId;
      if (shownId !== null && !this.table.has(shownId)) this.detail.deleted(shownId);
      byId('list-error').textContent = '';
    } catch (error) {
      this.failed(error, 'Cannot read the processes');
    } finally {
      const held = this.heldEvents ?? [];
      this.heldEvents = null;
      for (const event of held) this.receive(event);
    }
  }

  private receive(event: SigmaEvent): void {
    if (this.heldEvents !== null && event.type !== 'gap') {
      this.heldEvents.push(event);
      return;
    }
    this.partitions.refreshSoon();
    this.timeline.receive(event);
    switch (event.type) {
      case 'gap':
        void this.loadList();
        return;
      case 'deleted':
        // In a fleet it may only have moved off this node (which then drops it): the fleet says which.
        if (this.fleet.active) this.refresh(event.processId);
        else this.forget(event.processId);
        return;
      case 'run':
        this.detail.runEnded(event.processId);
        this.refresh(event.processId);
        return;
      case 'created':
      case 'updated':
        // The event carries the process as it is now: nothing to read again.
        this.apply(event.process);
        return;
      case 'state':
        this.refresh(event.processId);
        return;
    }
  }

  /** Reads one process again; asks made while a read is under way fold into one more read. */
  private refresh(id: number): void {
    const running = this.refreshing.get(id);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: false };
    this.refreshing.set(id, entry);
    void this.api
      .getProcess(id)
      .then((process) => {
        if (process === null) this.forget(id);
        else this.apply(process);
        byId('list-error').textContent = '';
      })
      .catch((error: unknown) => this.failed(error, 'Cannot read a process'))
      .finally(() => {
        this.refreshing.delete(id);
        if (entry.again && !this.stopped) this.refresh(id);
      });
  }

  private apply(arrived: ManagedProcess): void {
    if (this.stopped || this.deletedIds.has(arrived.id)) return;
    const process = withFleetFields(arrived, this.table.processOf(arrived.id), this.fleet.nodeName);
    this.table.upsert(process);
    this.detail.update(process);
    this.timeline.noteProcess(process);
  }

  private forget(id: number): void {
    this.deletedIds.add(id);
    this.table.remove(id);
    this.detail.deleted(id);
    this.timeline.forget(id);
  }

  private select(process: ManagedProcess | null): void {
    if (process === null || this.detail.processId === process.id) this.detail.close();
    else this.detail.show(process);
    this.table.markSelected(this.detail.processId);
    // On a narrow screen the pane is below the list: bring it into view.
    const pane = byId('detail');
    if (this.detail.processId !== null && pane.getBoundingClientRect().top > window.innerHeight * 0.6) pane.scrollIntoView({ block: 'start' });
  }

  private async operate(process: ManagedProcess, operation: Operation): Promise<ActionOutcome> {
    try {
      const result = await this.api.operate(process.id, operation);
      this.refresh(process.id);
      return result.result === 'OK'
        ? { ok: true, text: `${operation}: OK, now ${result.state}` }
        : { ok: false, text: `${operation}: FAILED: ${result.reason ?? 'no reason given'}` };
    } catch (error) {
      return { ok: false, text: `${operation}: ${this.messageOf(error)}` };
    }
  }

  private async operatePartition(partition: string, operation: Operation): Promise<ActionOutcome> {
    try {
      return partitionOutcomeOf(operation, partition, await this.api.operatePartition(partition, operation));
    } catch (error) {
      return { ok: false, text: `${operation} ${partition}: ${this.messageOf(error)}` };
    }
  }

  private async remove(process: ManagedProcess): Promise<ActionOutcome | null> {
    if (!window.confirm(`Delete ${process.name}? A running job is stopped first, and its logs are deleted.`)) return null;
    try {
      await this.api.deleteProcess(process.id);
      this.forget(process.id);
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        this.forget(process.id);
        return null;
      }
      return { ok: false, text: `DELETE: ${this.messageOf(error)}` };
    }
  }

  private failed(error: unknown, what: string): void {
    byId('list-error').textContent = `${what}: ${this.messageOf(error)}`;
  }

  private messageOf(error: unknown): string {
    if (error instanceof ApiError && error.status === 401) this.unauthorized(error.message);
    return error instanceof Error ? error.message : String(error);
  }

  private unauthorized(message: string): void {
    if (!this.stopped) this.onUnauthorized(message);
  }
}
