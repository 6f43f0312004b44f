import { api } from '../api.ts';
import { field, h } from '../dom.ts';
import { clearFormError, heading, showFormError } from '../ui.ts';

/** First-run setup: the one-time token from the console, then the admin password (twice). */
export function setupPage(root: HTMLElement, token: string, done: () => void): void {
  const tokenInput = h('input', { name: 'token', autocomplete: 'off', required: true, value: token, spellcheck: 'false' });
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const pw2 = h('input', { name: 'password2', type: 'password', autocomplete: 'new-password', required: true });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'setup-title' },
    h('p', {}, 'This appliance has no admin password yet. Enter the one-time setup token printed on the appliance console, then choose a password.'),
    field('Setup token', tokenInput),
    field('New admin password', pw, 'At least 12 characters.'),
    field('Repeat the password', pw2),
    h('button', { type: 'submit', class: 'primary' }, 'Set password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    if (pw.value !== pw2.value) return showFormError(form, new Error('the two passwords differ'));
    try {
      await api('POST', '/api/setup', { token: tokenInput.value.trim(), password: pw.value });
      done();
    } catch (err) {
      showFormError(form, err);
    }
  });
  root.replaceChildren(heading('First-run setup'), form);
  const title = root.querySelector('h1');
  if (title) title.id = 'setup-title';
  (token ? pw : tokenInput).focus();
}

export function loginPage(root: HTMLElement, done: () => void): void {
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' },
    field('Admin password', pw),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    try {
      await api('POST', '/api/login', { password: pw.value });
      done();
    } catch (err) {
      showFormError(form, err);
      pw.select();
    }
  });
  root.replaceChildren(heading('Log in'), form);
  const title = root.querySelector('h1');
  if (title) title.id = 'login-title';
  pw.focus();
}
