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
    for (const each of busy) {
      each.dataset['busy'] = 'true';
      each.disabled = true;
    }
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
      for (const each of busy) {
        delete each.dataset['busy'];
        each.disabled = each.dataset['unavailable'] !== undefined;
      }
    }
  });
  return button;
}

/**
 * Disables a button whose operation cannot do anything now, with the reason as its tooltip (and so
 * its accessible description), or enables it again (null). A button waiting for its answer stays
 * disabled until the answer, and is then enabled or not as last marked.
 */
export function markUnavailable(button: HTMLButtonElement, reason: string | null): void {
  if (reason === null) {
    delete button.dataset['unavailable'];
    button.removeAttribute('title');
  } else {
    button.dataset['unavailable'] = 'true';
    button.title = reason;
  }
  if (button.dataset['busy'] === undefined) button.disabled = reason !== null;
}
