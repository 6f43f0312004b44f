import { api } from '../api.ts';
import { field, fill, fmtDateTime, h } from '../dom.ts';
import type { EventEntry } from '../types.ts';
import { heading, notify, type Page } from '../ui.ts';

const KINDS: [string, string][] = [
  ['', 'all'], ['admin.', 'admin actions'], ['sip.registration.', 'phone registrations'], ['sip.auth.', 'failed logins (SIP)'], ['sip.ban', 'bans'],
  ['trunk.', 'outside line'], ['sip.', 'SIP (all)'], ['control.', 'control section'], ['peer.', 'peers'], ['appliance.', 'start / stop'], ['dns.', 'DNS'],
];

/** A kind as text that may break after a dot, never inside a word (`admin.extension.update`). */
function kindText(kind: string): HTMLElement {
  const parts = kind.split('.');
  return h('code', { class: 'kind' }, parts.flatMap((p, i) => (i < parts.length - 1 ? [`${p}.`, document.createElement('wbr')] : [p])));
}

/** One detail value as text: strings as they are, anything else as compact JSON. */
const detailText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The event log with filters (kind, text, how many); one details area at a time, opened under
 * its event's row, with each detail on its own line.
 */
export const eventsPage: Page = (root) => {
  const kind = h('select', { name: 'kind' }, KINDS.map(([v, l]) => h('option', { value: v }, l)));
  const q = h('input', { name: 'q', type: 'search', placeholder: 'text in message' });
  const limit = h('select', { name: 'limit' }, ['50', '100', '500'].map((n) => h('option', { value: n, selected: n === '100' }, n)));
  const list = h('section', { 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter events' },
    field('Kind', kind), field('Text', q), field('Show', limit), h('button', { type: 'submit' }, 'Filter'));
  let open: number | null = null;
  let rows: EventEntry[] = [];

  const draw = () => {
    const body = h('tbody', {});
    for (const e of rows) {
      const has = Object.keys(e.details).length > 0;
      const expanded = open === e.id;
      body.append(h('tr', { class: expanded ? 'selected' : null, 'data-id': e.id },
        h('td', { 'data-label': 'Time', class: 'nowrap' }, fmtDateTime(e.ts)),
        h('td', { 'data-label': 'Kind', class: 'event-kind' }, kindText(e.kind)),
        h('td', { 'data-label': 'Message' }, e.message),
        h('td', { 'data-label': '' }, has ? h('button', {
          type: 'button', class: 'small', 'aria-expanded': String(expanded), 'aria-controls': expanded ? 'event-detail' : null,
          'aria-label': `Details of event ${e.id}`, onclick: () => { open = expanded ? null : e.id; draw(); },
        }, expanded ? 'Hide details' : 'Details') : '')));
      if (expanded) {
        body.append(h('tr', { class: 'detail-row' }, h('td', { colspan: 4, id: 'event-detail' },
          h('dl', {}, Object.entries(e.details).map(([k, v]) => [h('dt', {}, k), h('dd', {}, h('code', {}, detailText(v)))])))));
      }
    }
    if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: 4, class: 'empty' }, 'no matching events')));
    fill(list, h('div', { class: 'table-wrap' }, h('table', { class: 'event-table' },
      h('caption', {}, 'Events, newest first'),
      h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Message', ''].map((t) => h('th', { scope: 'col' }, t ? t : h('span', { class: 'visually-hidden' }, 'Details'))))),
      body)));
  };
  const load = async () => {
    const params = new URLSearchParams({ kind: kind.value, q: q.value, limit: limit.value });
    rows = await api<EventEntry[]>('GET', `/api/events?${params}`);
    draw();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load().catch((err) => notify(err.message, 'error'));
  });
  kind.addEventListener('change', () => void load());
  root.replaceChildren(heading('Event log'), form, list);
  void load();
};
