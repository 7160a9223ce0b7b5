// A partition row's "Tokens" (node token only): a toggle that lists the partition's tokens (id,
// label, when made) with a Revoke button each, and makes a new one, whose secret is shown once,
// read-only, with how to use it. The list is read when opened and after each change.
import type { PartitionToken } from './apiTypes.js';
import { formatDateTime } from './displayFormats.js';
import { el } from './elements.js';

export interface TokenActions {
  list(partition: string): Promise<PartitionToken[]>;
  create(partition: string, label: string | null): Promise<PartitionToken & { token: string }>;
  revoke(partition: string, id: number): Promise<void>;
  messageOf(error: unknown): string;
}

let views = 0;

export class PartitionTokensView {
  readonly toggle: HTMLButtonElement;
  readonly element: HTMLElement;
  private readonly list = el('ul', { className: 'token-list' });
  private readonly secret: HTMLInputElement;
  private readonly secretBox: HTMLElement;
  /** Its own line (not the row's): the row's line keeps the last operation's answer. */
  private readonly status = el('p', { className: 'token-status', attrs: { role: 'status', 'aria-live': 'polite' } });

  constructor(
    private readonly name: string,
    private readonly actions: TokenActions,
  ) {
    views += 1;
    const id = `partition-tokens-${views}`;
    this.toggle = el('button', {
      text: 'Tokens',
      attrs: { type: 'button', 'aria-label': `Tokens of partition ${name}`, 'aria-expanded': 'false', 'aria-controls': id },
      onClick: () => void this.show(this.element.hidden),
    });
    const label = el('input', { attrs: { id: `${id}-label`, type: 'text', autocomplete: 'off', placeholder: 'e.g. ci' } });
    const create = el('button', { text: 'New token', attrs: { type: 'submit', 'aria-label': `New token for partition ${name}` } });
    const form = el('form', { className: 'token-form', attrs: { novalidate: '' } }, [
      el('div', { className: 'limit-field' }, [el('label', { text: 'Label (optional)', attrs: { for: `${id}-label` } }), label]),
      create,
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create(label, create);
    });
    this.secret = el('input', { attrs: { id: `${id}-secret`, type: 'text', readonly: '', spellcheck: 'false', 'aria-describedby': `${id}-note` } });
    this.secretBox = el('div', { className: 'token-secret' }, [
      el('label', { text: `New token for ${name}`, attrs: { for: `${id}-secret` } }),
      this.secret,
      el('p', { className: 'hint', attrs: { id: `${id}-note` } }, [
        el('strong', { text: 'Shown only now' }),
        ': the daemon keeps only its hash. Log in to this page with it, or use it from the command line: ',
        el('code', { text: 'SIGMA_TOKEN=<token> sigma ps' }),
        ` (it sees partition ${name} only).`,
      ]),
    ]);
    this.secretBox.hidden = true;
    this.element = el('div', { className: 'partition-tokens', attrs: { id, role: 'group', 'aria-label': `Tokens of partition ${name}` } }, [
      this.list,
      form,
      this.secretBox,
      this.status,
    ]);
    this.element.hidden = true;
  }

  private async show(open: boolean): Promise<void> {
    this.element.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (!open) {
      // Closed, the secret goes: it is not left on the page.
      this.secret.value = '';
      this.secretBox.hidden = true;
      return;
    }
    await this.reload();
  }

  private async reload(): Promise<void> {
    try {
      const tokens = await this.actions.list(this.name);
      this.list.replaceChildren(...(tokens.length === 0 ? [el('li', { className: 'empty', text: 'No tokens.' })] : tokens.map((token) => this.itemOf(token))));
    } catch (error) {
      this.say(false, `Cannot read the tokens of ${this.name}: ${this.actions.messageOf(error)}`);
    }
  }

  private itemOf(token: PartitionToken): HTMLLIElement {
    const revoke = el('button', { className: 'danger', text: 'Revoke', attrs: { type: 'button', 'aria-label': `Revoke token ${token.id} of partition ${this.name}` } });
    revoke.addEventListener('click', () => void this.revoke(token, revoke));
    return el('li', { attrs: { 'data-token': String(token.id) } }, [
      el('span', { className: 'token-facts' }, [
        el('strong', { text: `#${token.id}` }),
        ` ${token.label ?? '(no label)'} · made ${formatDateTime(token.createdAt)}`,
      ]),
      revoke,
    ]);
  }

  private async create(label: HTMLInputElement, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.say(true, 'Making a token…', 'pending');
    try {
      const made = await this.actions.create(this.name, label.value.trim() === '' ? null : label.value.trim());
      label.value = '';
      this.secret.value = made.token;
      this.secretBox.hidden = false;
      this.say(true, `Token #${made.id} made for ${this.name}`);
      this.secret.focus();
      this.secret.select();
      await this.reload();
    } catch (error) {
      this.say(false, `No token made: ${this.actions.messageOf(error)}`);
    } finally {
      button.disabled = false;
    }
  }

  private async revoke(token: PartitionToken, button: HTMLButtonElement): Promise<void> {
    if (!window.confirm(`Revoke token #${token.id}${token.label === null ? '' : ` (${token.label})`} of ${this.name}? It stops working at once.`)) return;
    button.disabled = true;
    try {
      await this.actions.revoke(this.name, token.id);
      this.say(true, `Token #${token.id} revoked`);
    } catch (error) {
      this.say(false, `Token #${token.id} not revoked: ${this.actions.messageOf(error)}`);
    } finally {
      button.disabled = false;
    }
    await this.reload();
  }

  private say(ok: boolean, text: string, kind: 'pending' | null = null): void {
    this.status.className = `token-status ${kind ?? (ok ? 'ok' : 'failed')}`;
    this.status.textContent = text;
  }
}
