// A heading's button that shows and hides the part of a panel it controls (aria-controls), saying
// which with aria-expanded.
import { byId } from './elements.js';

export function wireDisclosure(button: HTMLButtonElement): () => void {
  const body = byId(button.getAttribute('aria-controls') ?? '');
  const show = (open: boolean): void => {
    button.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
  };
  const onClick = (): void => show(button.getAttribute('aria-expanded') !== 'true');
  show(button.getAttribute('aria-expanded') === 'true');
  button.addEventListener('click', onClick);
  return () => button.removeEventListener('click', onClick);
}
