// The buttons that ask the daemon for an operation and the line that shows its answer, alike for
// a process and for a whole partition: the line says the request is under way, then the answer.
import { el } from './elements.js';

export interface ActionOutcome {
  ok: boolean;
  text: string;
}

export interface OperationButtonOptions {
  className?: string;
  /** The name a screen reader says, when the text alone does not tell what the button acts on. */
  ariaLabel?: string;
  /** Every button inside is disabled while the request is under way; by default the button alone. */
  busyScope?: HTMLElement;
}

/** Where a row shows the answer to the last operation asked from this page. */
export function outcomeLine(): HTMLParagraphElement {
  return el('p', { className: 'outcome', attrs: { role: 'status', 'aria-live': 'polite' } });
}

/** `act` answering null has nothing to say (a DELETE done, or not confirmed): the line is cleared. */
export function operationButton(label: string, outcome: HTMLElement, act: () => Promise<ActionOutcome | null>, options: OperationButtonOptions = {}): HTMLButtonElement {
  const attrs: Record<string, string> = { type: 'button' };
  if (options.ariaLabel !== undefined) attrs['aria-label'] = options.ariaLabel;
  const button = el('button', { className: options.className ?? '', text: label, attrs });
  const busyButtons = (): HTMLButtonElement[] => (options.busyScope ? [...options.busyScope.querySelectorAll('button')] : [button]);
  button.addEventListener('click', async () => {
    const busy = busyButtons();
    for (const each of busy) each.disabled = true;
    outcome.className = 'outcome pending';
    outcome.textContent = `${label}…`;
    try {
      const answer = await act();
      if (answer === null) {
        outcome.textContent = '';
        return;
      }
      outcome.className = `outcome ${answer.ok ? 'ok' : 'failed'}`;
      outcome.textContent = answer.text;
    } finally {
      for (const each of busy) each.disabled = false;
    }
  });
  return button;
}
