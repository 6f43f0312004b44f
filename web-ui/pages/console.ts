import { api } from '../api.ts';
import { fill, fmtDuration, h } from '../dom.ts';
import { live } from '../live.ts';
import { nameBook, partyLabel, phoneStatus, type NameBook, type PhoneStatus } from '../parties.ts';
import type { Extension, Snapshot } from '../types.ts';
import { heading, type Page } from '../ui.ts';

/** What a lamp shows: no phone registered, idle, in a call. */
const LAMP = { offline: 'no phone', online: 'idle', 'in-call': 'in call' } as const;

/**
 * The receptionist's console (issue 15): one lamp per extension, live from the stream the
 * other pages use (registrations and the calls view the control section assembles from every
 * worker); a lamp opens who the extension is talking to and since when.
 * FIXME: "ringing" needs the early-dialog state the busy-lamp work (RFC 4235) publishes; until
 * it lands a lamp knows no phone / idle / in call only.
 */
export const consolePage: Page = (root) => {
  const grid = h('div', { class: 'lamps', role: 'list', 'aria-label': 'Extensions' });
  const detail = h('section', { class: 'card lamp-detail', 'aria-live': 'polite', hidden: true });
  root.replaceChildren(heading('Console'), h('p', { class: 'hint' }, 'Every extension, live. Select one to see who it is talking to.'), grid, detail);
  let exts: Extension[] = [];
  let names: NameBook = new Map();
  let snap: Snapshot | undefined;
  let selected: string | undefined;

  const showDetail = (e: Extension, st: PhoneStatus) => {
    const now = Date.now();
    fill(detail, h('h2', {}, partyLabel(e.number, names)),
      h('p', {}, h('span', { class: `badge state-${st.state}` }, LAMP[st.state])),
      st.calls.length > 0
        ? h('ul', {}, st.calls.map((c) => h('li', {}, `with ${partyLabel(c.other, names)}, for ${fmtDuration(now - c.call.startedAt)}`)))
        : h('p', { class: 'hint' }, st.devices.length > 0 ? 'not in a call' : 'no phone registered'),
      st.devices.length > 0 ? h('p', { class: 'hint' }, `${st.devices.length} phone${st.devices.length > 1 ? 's' : ''}: `, st.devices.map((d) => d.userAgent || d.source).join(', ')) : null);
    detail.hidden = false;
  };
  const draw = () => {
    const focused = grid.contains(document.activeElement) ? document.activeElement?.getAttribute('data-number') : null;
    const items = exts.map((e) => ({ e, st: phoneStatus(e.number, snap?.registrations ?? [], snap?.calls.active ?? []) }));
    fill(grid, items.map(({ e, st }) => h('button', {
      type: 'button', role: 'listitem', class: `lamp lamp-${st.state}`, 'data-number': e.number, 'aria-pressed': selected === e.number ? 'true' : 'false',
      'aria-label': `${partyLabel(e.number, names)}: ${LAMP[st.state]}${st.calls.length ? ` with ${st.calls.map((c) => partyLabel(c.other, names)).join(', ')}` : ''}`,
      onclick: () => {
        selected = e.number;
        draw();
      },
    }, h('span', { class: 'lamp-light', 'aria-hidden': 'true' }), h('span', { class: 'lamp-number' }, e.number), h('span', { class: 'lamp-name' }, e.displayName),
    h('span', { class: 'lamp-state' }, st.calls.length ? `with ${partyLabel(st.calls[0].other, names)}` : LAMP[st.state]))));
    const sel = items.find((i) => i.e.number === selected);
    if (sel) showDetail(sel.e, sel.st);
    if (focused) grid.querySelector<HTMLElement>(`[data-number="${CSS.escape(focused)}"]`)?.focus();
  };
  void api<Extension[]>('GET', '/api/extensions').then((list) => {
    exts = list.sort((a, b) => a.number.localeCompare(b.number, undefined, { numeric: true }));
    names = nameBook(list);
    draw();
  }).catch(() => {});
  const off = live.onSnapshot((s) => {
    snap = s;
    draw();
  });
  // Durations move on between snapshots.
  const tick = window.setInterval(() => selected && draw(), 1000);
  return () => {
    off();
    window.clearInterval(tick);
  };
};
