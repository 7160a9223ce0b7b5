// The "New partition" form of the partitions panel (node token only): reads the name and the
// limits, sends POST /partitions, and shows what the API says, as the create-process form does.
import type { ApiClient } from './apiClient.js';
import type { Partition } from './apiTypes.js';
import { byId } from './elements.js';
import { limitInputs, newPartitionLimitsOf, type LimitName } from './partitionLimitFields.js';

/** `messageOf` words a failure as the rest of the page does (and ends the session on a refused token). */
export function wirePartitionForm(api: ApiClient, onCreated: (partition: Partition) => void, messageOf: (error: unknown) => string): () => void {
  const form = byId<HTMLFormElement>('partition-form');
  const name = byId<HTMLInputElement>('partition-name');
  const message = byId<HTMLParagraphElement>('partition-message');
  const { fields, inputs } = limitInputs('partition-new');
  byId('partition-form-limits').replaceChildren(...fields);
  const say = (text: string, kind: 'ok' | 'error' | 'pending'): void => {
    message.textContent = text;
    message.className = `message ${kind}`;
    message.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  };

  const onSubmit = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const texts = Object.fromEntries(Object.entries(inputs).map(([limit, input]) => [limit, input.value])) as Record<LimitName, string>;
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    say('Creating…', 'pending');
    try {
      const created = await api.createPartition({ name: name.value.trim(), ...newPartitionLimitsOf(texts) });
      form.reset();
      say(`Created partition ${created.name}`, 'ok');
      onCreated(created);
    } catch (error) {
      say(`Not created: ${messageOf(error)}`, 'error');
    } finally {
      if (submit) submit.disabled = false;
    }
  };
  const submitListener = (event: SubmitEvent): void => void onSubmit(event);
  form.addEventListener('submit', submitListener);
  form.hidden = false;
  return () => {
    form.removeEventListener('submit', submitListener);
    form.hidden = true;
    form.reset();
    message.textContent = '';
  };
}
