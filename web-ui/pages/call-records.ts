import { api, apiDownload } from '../api.ts';
import { field, fill, fmtDateTime, fmtDuration, h, table } from '../dom.ts';
import type { CallRecord, CallRecords } from '../types.ts';
import { notify } from '../ui.ts';
import { partyLabel, type NameBook } from '../parties.ts';

const DIRECTIONS: [string, string][] = [['', 'all'], ['internal', 'internal'], ['outbound', 'outbound'], ['inbound', 'inbound'], ['emergency', 'emergency']];

/** How a record ended, in words an admin reads at a glance. */
function outcome(r: CallRecord): string {
  if (r.answeredAt === null) return r.reason ?? String(r.result ?? '');
  if (r.endedAt === null) return 'in progress';
  return `answered, ${r.reason ?? 'ended'}`;
}

/**
 * Call records (the store's call detail records, `GET /api/call-records`): search by extension,
 * direction and date, newest first, and the same selection as a CSV download; the ladder of an
 * answered one.
 */
export function callRecordsSection(showLadder: (callId: string) => void, names: () => NameBook): { section: HTMLElement; redraw(): void; reload(): void } {
  const extension = h('input', { name: 'extension', inputmode: 'numeric', placeholder: 'e.g. 201', maxlength: 32 });
  const direction = h('select', { name: 'direction' }, DIRECTIONS.map(([v, l]) => h('option', { value: v }, l)));
  const since = h('input', { name: 'since', type: 'date' });
  const until = h('input', { name: 'until', type: 'date' });
  const list = h('div', { 'aria-live': 'polite' });
  const params = () => {
    const p = new URLSearchParams();
    for (const [k, el] of [['extension', extension], ['direction', direction], ['since', since], ['until', until]] as const) if (el.value) p.set(k, el.value);
    return p;
  };
  let records: readonly CallRecord[] = [];
  const draw = () => {
    const who = (uri: string) => partyLabel(uri, names());
    fill(list, table('Call records, newest first', ['Started', 'Direction', 'From', 'To', 'Result', 'Talk time', ''], records.map((r) => [
      fmtDateTime(r.startedAt), r.direction, who(r.from), r.routedTo ? `${who(r.to)} → ${who(r.routedTo)}` : who(r.to), outcome(r),
      r.answeredAt !== null && r.endedAt !== null ? fmtDuration(r.endedAt - r.answeredAt) : '',
      r.answeredAt !== null ? h('button', { type: 'button', class: 'link', onclick: () => showLadder(r.callId), 'aria-label': `Show ladder of call from ${who(r.from)} to ${who(r.to)}` }, 'Ladder') : '',
    ]), 'no call records match'));
  };
  const load = async () => {
    ({ records } = await api<CallRecords>('GET', `/api/call-records?${params()}`));
    draw();
  };
  const download = async () => {
    const { blob, fileName } = await apiDownload('GET', `/api/call-records.csv?${params()}`);
    const a = h('a', { href: URL.createObjectURL(blob), download: fileName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search call records' },
    field('Extension', extension), field('Direction', direction), field('From date', since), field('Until date', until),
    h('button', { type: 'submit' }, 'Search'),
    h('button', { type: 'button', onclick: () => void download().catch((err) => notify(err.message, 'error')) }, 'Download CSV'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load().catch((err) => notify(err.message, 'error'));
  });
  void load().catch((err) => notify(err.message, 'error'));
  return {
    section: h('section', { 'aria-label': 'Call records' }, h('h2', {}, 'Call records'), form, list), redraw: draw,
    reload: () => void load().catch((err) => notify(err.message, 'error')),
  };
}
