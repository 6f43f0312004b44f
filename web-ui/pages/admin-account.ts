import { api } from '../api.ts';
import { field, h } from '../dom.ts';
import { live } from '../live.ts';
import { clearFormError, notify, showFormError } from '../ui.ts';

/**
 * The admin account: change the admin password (`POST /api/password`: the current one first,
 * the new one through the same policy as setup and the CLI, appliance/admin/password-policy.ts).
 * Every other session ends; this tab gets a new one and carries on.
 */
export function adminAccountSection(): HTMLElement {
  const current = h('input', { name: 'current', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256 });
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 256 });
  const pw2 = h('input', { name: 'password2', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256 });
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title' }, 'Admin password'),
    field('Current password', current),
    field('New password', pw, 'At least 12 characters and hard to guess: common words, keyboard walks and repeats are refused.'),
    field('Repeat the new password', pw2),
    h('p', { class: 'hint' }, 'Changing it logs out every other browser and tab.'),
    h('button', { type: 'submit', class: 'primary' }, 'Change password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFormError(form);
    if (pw.value !== pw2.value) return showFormError(form, new Error('the two new passwords differ'));
    // This tab's session is replaced by the change: its live stream restarts on the new one
    // instead of reporting the old one's end as a logout.
    live.stop();
    try {
      await api('POST', '/api/password', { current: current.value, password: pw.value });
      form.reset();
      notify('Admin password changed: other sessions were logged out');
    } catch (err) {
      showFormError(form, err);
    } finally {
      live.start();
    }
  });
  return form;
}
