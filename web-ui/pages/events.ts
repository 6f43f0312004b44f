import { api } from '../api.ts';
import { field, fill, fmtDateTime, h, table } from '../dom.ts';
import type { EventEntry } from '../types.ts';
import { heading, notify, type Page } from '../ui.ts';

const KINDS: [string, string][] = [['', 'all'], ['admin.', 'admin actions'], ['control.', 'control section'], ['peer.', 'peers'], ['appliance.', 'start / stop'], ['sip.', 'SIP'], ['dns.', 'DNS']];

/** The event log with filters: kind, text, how many. */
export const eventsPage: Page = (root) => {
  const kind = h('select', { name: 'kind' }, KINDS.map(([v, l]) => h('option', { value: v }, l)));
  const q = h('input', { name: 'q', type: 'search', placeholder: 'text in message' });
  const limit = h('select', { name: 'limit' }, ['50', '100', '500'].map((n) => h('option', { value: n, selected: n === '100' }, n)));
  const list = h('section', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter events' },
    field('Kind', kind), field('Text', q), field('Show', limit), h('button', { type: 'submit' }, 'Filter'));
  const load = async () => {
    const params = new URLSearchParams({ kind: kind.value, q: q.value, limit: limit.value });
    const rows = await api<EventEntry[]>('GET', `/api/events?${params}`);
    fill(list, table('Events, newest first', ['Time', 'Kind', 'Message', 'Details'], rows.map((e) => [
      fmtDateTime(e.ts), h('code', {}, e.kind), e.message,
      Object.keys(e.details).length ? h('details', {}, h('summary', {}, 'details'), h('pre', {}, JSON.stringify(e.details, null, 1))) : '',
    ]), 'no matching events'));
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load().catch((err) => notify(err.message, 'error'));
  });
  kind.addEventListener('change', () => void load());
  root.replaceChildren(heading('Event log'), form, list);
  void load();
};
