import { ApiError } from './api.ts';
import { h } from './dom.ts';

/** A page renders into `root` and returns what to undo when the admin leaves it. */
export type Page = (root: HTMLElement) => void | (() => void);

/**
 * Shows a short message in the notice bar at the top of the page (a live region, read out by
 * screen readers). It sits in the page flow, so it never covers a button; a success fades after
 * 6 s, an error stays until the admin's next action or page change (`clearNotice`).
 */
export function notify(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const region = document.getElementById('notice');
  if (!region) return;
  window.clearTimeout(Number(region.dataset.timer));
  region.className = `notice ${kind}`;
  region.replaceChildren(h('span', {}, message),
    h('button', { type: 'button', class: 'notice-close', 'aria-label': 'Dismiss message', onclick: () => clearNotice() }, '×'));
  if (kind === 'ok') region.dataset.timer = String(window.setTimeout(() => clearNotice(), 6000));
}

/** Empties the notice bar: on a page change and when the next attempt starts. */
export function clearNotice(): void {
  const region = document.getElementById('notice');
  if (!region) return;
  window.clearTimeout(Number(region.dataset.timer));
  region.replaceChildren();
  region.className = 'notice';
}

/** Shows an API error inside a form: next to the field it concerns when there is one, else below the form. */
export function showFormError(form: HTMLFormElement, err: unknown): void {
  clearFormError(form);
  const message = err instanceof Error ? err.message : String(err);
  const box = h('p', { class: 'form-error', role: 'alert' }, message);
  const input = err instanceof ApiError && err.field ? form.querySelector<HTMLElement>(`[name="${CSS.escape(err.field)}"]`) : null;
  const place = input?.closest('.field');
  if (input && place) {
    place.append(box);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    input?.setAttribute('aria-invalid', 'true');
    form.append(box);
  }
}

/** Clears a form's error and the notice bar: a new attempt starts clean. */
export function clearFormError(form: HTMLFormElement): void {
  clearNotice();
  form.querySelector('.form-error')?.remove();
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

/** A button that runs an async action, disabled while it runs, errors shown as a notice. */
export function actionButton(label: string, action: () => Promise<unknown>, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', async () => {
    clearNotice();
    b.disabled = true;
    try {
      await action();
    } catch (err) {
      notify(err instanceof Error ? err.message : String(err), 'error');
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** A strong random password a phone can take: 16 characters, lower, upper, digits, symbols. */
export function generatePassword(length = 16): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.!+=@'];
  const all = sets.join('');
  const pick = (chars: string) => chars[crypto.getRandomValues(new Uint32Array(1))[0] % chars.length];
  const out = sets.map(pick);
  while (out.length < length) out.push(pick(all));
  // Shuffle (Fisher-Yates) so the class order is not predictable.
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.getRandomValues(new Uint32Array(1))[0] % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join('');
}

export function heading(title: string, ...extra: (Node | string)[]): HTMLElement {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title), ...extra);
}
