// A partition row's "Edit limits" (node token only): a toggle that opens the four limit fields,
// filled with the limits as last read; Save sends only the limits changed (an emptied field: null,
// no limit), so that a limit changed elsewhere meanwhile is kept. The answer goes to the row's line.
import type { Partition, PartitionLimitsRequest } from './apiTypes.js';
import { el } from './elements.js';
import type { ActionOutcome } from './operationButton.js';
import { LIMIT_FIELDS, limitInputs, limitTextOf, limitValueOf } from './partitionLimitFields.js';

export type ChangeLimits = (partition: string, limits: PartitionLimitsRequest) => Promise<ActionOutcome>;

let editors = 0;

export class PartitionLimitsEditor {
  readonly toggle: HTMLButtonElement;
  readonly form: HTMLFormElement;
  private readonly inputs: ReturnType<typeof limitInputs>['inputs'];
  private partition: Partition | null = null;

  constructor(
    private readonly name: string,
    private readonly outcome: HTMLElement,
    private readonly change: ChangeLimits,
  ) {
    editors += 1;
    const formId = `partition-limits-${editors}`;
    const { fields, inputs } = limitInputs(formId);
    this.inputs = inputs;
    this.toggle = el('button', {
      text: 'Edit limits',
      attrs: { type: 'button', 'aria-label': `Edit limits of partition ${name}`, 'aria-expanded': 'false', 'aria-controls': formId },
      onClick: () => this.show(this.form.hidden),
    });
    const save = el('button', { text: 'Save', attrs: { type: 'submit', 'aria-label': `Save limits of partition ${name}` } });
    const cancel = el('button', { className: 'quiet', text: 'Cancel', attrs: { type: 'button' }, onClick: () => this.show(false) });
    this.form = el('form', { className: 'limits-editor', attrs: { id: formId, 'aria-label': `Limits of partition ${name}`, novalidate: '' } }, [
      el('div', { className: 'limit-fields' }, fields),
      el('p', { className: 'hint', text: 'An empty field: no limit.' }),
      el('div', { className: 'operations' }, [save, cancel]),
    ]);
    this.form.hidden = true;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save([save, cancel, this.toggle]);
    });
  }

  /** The limits as last read: the fields take them when opened, not while being edited. */
  fill(partition: Partition): void {
    this.partition = partition;
  }

  private show(open: boolean): void {
    if (open && this.partition) {
      const partition = this.partition;
      for (const { limit } of LIMIT_FIELDS) this.inputs[limit].value = limitTextOf(partition, limit);
    }
    this.form.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) this.inputs.maxRunning.focus();
  }

  private async save(buttons: HTMLButtonElement[]): Promise<void> {
    const before = this.partition;
    if (!before) return;
    const changed: PartitionLimitsRequest = {};
    for (const { limit } of LIMIT_FIELDS) {
      const text = this.inputs[limit].value;
      if (text.trim() !== limitTextOf(before, limit)) changed[limit] = limitValueOf(limit, text);
    }
    if (Object.keys(changed).length === 0) {
      this.say({ ok: true, text: `Limits of ${this.name}: nothing changed` });
      this.show(false);
      return;
    }
    for (const button of buttons) button.disabled = true;
    this.outcome.className = 'outcome pending';
    this.outcome.textContent = `Saving the limits of ${this.name}…`;
    try {
      const answer = await this.change(this.name, changed);
      this.say(answer);
      if (answer.ok) this.show(false);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  private say(answer: ActionOutcome): void {
    this.outcome.className = `outcome ${answer.ok ? 'ok' : 'failed'}`;
    this.outcome.textContent = answer.text;
  }
}
