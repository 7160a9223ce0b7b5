// The "New process" form: reads the fields, sends POST /processes, shows what the API says.
import { ApiError, type ApiClient } from './apiClient.js';
import type { ManagedProcess, ProcessType, RestartPolicyName } from './apiTypes.js';
import { createRequestOf } from './createRequest.js';
import { byId } from './elements.js';

/**
 * Why the start asked with the creation failed, or null if it did not: the daemon still creates the
 * process, and answers it DORMANT with the spawn's error in lastExit (a job that ran and ended at
 * once before the answer has no error there).
 */
function startFailureOf(created: ManagedProcess): string | null {
  if (created.state !== 'DORMANT') return null;
  return created.lastExit?.error ?? null;
}

export function wireCreateForm(api: ApiClient, onCreated: (process: ManagedProcess) => void): () => void {
  const form = byId<HTMLFormElement>('create-form');
  const message = byId<HTMLParagraphElement>('create-message');
  const periodField = byId<HTMLDivElement>('create-period-field');
  const restartField = byId<HTMLDivElement>('create-restart-field');
  const field = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
  const selectedType = (): ProcessType => ((form.elements.namedItem('type') as RadioNodeList).value === 'PERIODIC' ? 'PERIODIC' : 'ONE_SHOT');
  const showPeriod = (): void => {
    periodField.hidden = selectedType() !== 'PERIODIC';
    restartField.hidden = selectedType() !== 'ONE_SHOT';
  };
  const say = (text: string, kind: 'ok' | 'error' | 'pending'): void => {
    message.textContent = text;
    message.className = `message ${kind}`;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  };

  const onChange = (): void => showPeriod();
  const onSubmit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const parsed = createRequestOf({
      name: field('create-name').value,
      type: selectedType(),
      period: field('create-period').value,
      command: field('create-command').value,
      cwd: field('create-cwd').value,
      env: byId<HTMLTextAreaElement>('create-env').value,
      startNow: field('create-start').checked,
      partition: byId<HTMLSelectElement>('create-partition').value,
      restartPolicy: byId<HTMLSelectElement>('create-restart').value as RestartPolicyName,
      restartDelayMs: field('create-restart-delay').value,
      timeCapacityMs: field('create-capacity').value,
      onDeadlineMiss: byId<HTMLSelectElement>('create-on-miss').value as 'log' | 'stop',
      nice: field('create-nice').value,
      node: byId<HTMLSelectElement>('create-node').value,
      relocatable: field('create-relocatable').checked,
    });
    if (!parsed.ok) {
      say(parsed.message, 'error');
      return;
    }
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    say('Creating…', 'pending');
    try {
      const created = await api.createProcess(parsed.value);
      const startError = parsed.value.state === 'RUNNING' ? startFailureOf(created) : null;
      if (startError === null) say(`Created ${created.name} (id ${created.id}), ${created.state}.`, 'ok');
      else say(`Created ${created.name} (id ${created.id}), but its start failed: ${startError}`, 'error');
      const partition = byId<HTMLSelectElement>('create-partition').value;
      form.reset();
      // The partition stays chosen: several processes are often made in the same one.
      byId<HTMLSelectElement>('create-partition').value = partition;
      showPeriod();
      onCreated(created);
    } catch (error) {
      say(error instanceof ApiError ? `Not created: ${error.message}` : `Not created: ${String(error)}`, 'error');
    } finally {
      if (submit) submit.disabled = false;
    }
  };
  const submitListener = (event: SubmitEvent): void => void onSubmit(event);
  form.addEventListener('change', onChange);
  form.addEventListener('submit', submitListener);
  showPeriod();
  return () => {
    form.removeEventListener('change', onChange);
    form.removeEventListener('submit', submitListener);
    message.textContent = '';
  };
}
