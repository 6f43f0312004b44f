import { api } from '../api.ts';
import { fill, h, table } from '../dom.ts';
import { live } from '../live.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';

/** Registrations: a live list (updates without reload from the live stream), with unregister. */
export const registrationsPage: Page = (root) => {
  const list = h('section', { id: 'registrations', 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  root.replaceChildren(heading('Registrations'), list);
  const off = live.onSnapshot((snap) => {
    const now = Date.now();
    fill(list, table('Registered devices', ['Extension', 'Contact', 'From', 'NAT', 'User agent', 'Expires in', ''], snap.registrations.map((r) => [
      r.extension, h('code', {}, r.contact), r.source,
      // Behind NAT: calls go to "From" (where the REGISTER came from), not to the Contact.
      r.behindNat ? h('span', { class: 'nat', title: 'Contact differs from where the phone registered from: calls go to the "From" address' }, 'behind NAT') : 'no',
      r.userAgent, `${Math.max(0, Math.round((r.expiresAt - now) / 1000))} s`,
      actionButton('Unregister', async () => {
        if (!confirm(`Unregister ${r.contact}?`)) return;
        await api('POST', '/api/registrations/unregister', { aor: r.aor, contact: r.contact });
        notify(`${r.contact} unregistered`);
      }, { class: 'danger', 'aria-label': `Unregister ${r.contact}` }),
    ]), 'no phone is registered'));
  });
  return off;
};
