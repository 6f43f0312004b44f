import { api } from '../api.ts';
import { fill, fmtDuration, h } from '../dom.ts';
import { live } from '../live.ts';
import { nameBook, partyLabel, phoneStatus, type NameBook, type PhoneStatus } from '../parties.ts';
import type { Extension, Lamp, Snapshot } from '../types.ts';
import { heading, type Page } from '../ui.ts';

/** What a lamp shows: no phone registered, idle, ringing, in a call. */
const LAMP = { offline: 'no phone', online: 'idle', ringing: 'ringing', 'in-call': 'in call' } as const;
type LampKey = keyof typeof LAMP;

/** How often the busy lamps are read while the console is open (they change within a call's first second). */
const LAMPS_MS = 1000;

/**
 * The receptionist's console (issue 15): one lamp per extension, live: no phone / idle from the
 * registrations of the stream the other pages use, ringing and in call from the busy lamps
 * (`GET /api/lamps`, the dialog state the control section holds for every worker's calls) and
 * the calls view; a lamp opens whom the extension is talking to (or who calls it) and since when.
 */
export const consolePage: Page = (root) => {
  const grid = h('div', { class: 'lamps', role: 'list', 'aria-label': 'Extensions' });
  const detail = h('section', { class: 'card lamp-detail', 'aria-live': 'polite', hidden: true });
  root.replaceChildren(heading('Console'), h('p', { class: 'hint' }, 'Every extension, live. Select one to see who it is talking to.'), grid, detail);
  let exts: Extension[] = [];
  let names: NameBook = new Map();
  let snap: Snapshot | undefined;
  let selected: string | undefined;
  let lamps = new Map<string, Lamp>();
  /** The lamp's state and its other parties: the busy lamp first, then the calls view and the registrations. */
  const stateOf = (st: PhoneStatus, lamp: Lamp | undefined): { key: LampKey; with: string[] } => {
    const open = lamp?.dialogs.filter((d) => d.state !== 'terminated') ?? [];
    if (lamp?.state === 'ringing') return { key: 'ringing', with: open.map((d) => `${d.direction === 'recipient' ? 'call from' : 'calling'} ${partyLabel(d.peer, names)}`) };
    if (st.calls.length > 0) return { key: 'in-call', with: st.calls.map((c) => `with ${partyLabel(c.other, names)}`) };
    // Busy: in a call, or calling someone whose phone rings.
    if (lamp?.state === 'in-call') return { key: 'in-call', with: open.map((d) => `${d.state === 'confirmed' ? 'with' : d.direction === 'initiator' ? 'calling' : 'call from'} ${partyLabel(d.peer, names)}`) };
    return { key: st.state === 'offline' ? 'offline' : 'online', with: [] };
  };

  const showDetail = (e: Extension, st: PhoneStatus) => {
    const now = Date.now();
    const s = stateOf(st, lamps.get(e.number));
    const dialogs = lamps.get(e.number)?.dialogs.filter((d) => d.state !== 'terminated') ?? [];
    fill(detail, h('h2', {}, partyLabel(e.number, names)),
      h('p', {}, h('span', { class: `badge state-${s.key}` }, LAMP[s.key])),
      st.calls.length > 0
        ? h('ul', {}, st.calls.map((c) => h('li', {}, `with ${partyLabel(c.other, names)}, for ${fmtDuration(now - c.call.startedAt)}`)))
        : dialogs.length > 0
          ? h('ul', {}, dialogs.map((d) => h('li', {}, `${d.state === 'confirmed' ? 'with' : d.direction === 'recipient' ? 'call from' : 'calling'} ${partyLabel(d.peer, names)}, for ${fmtDuration(now - d.since)}`)))
          : h('p', { class: 'hint' }, st.devices.length > 0 ? 'not in a call' : 'no phone registered'),
      st.devices.length > 0 ? h('p', { class: 'hint' }, `${st.devices.length} phone${st.devices.length > 1 ? 's' : ''}: `, st.devices.map((d) => d.userAgent || d.source).join(', ')) : null);
    detail.hidden = false;
  };
  const draw = () => {
    const focused = grid.contains(document.activeElement) ? document.activeElement?.getAttribute('data-number') : null;
    const items = exts.map((e) => ({ e, st: phoneStatus(e.number, snap?.registrations ?? [], snap?.calls.active ?? []) }));
    fill(grid, items.map(({ e, st }) => ({ e, s: stateOf(st, lamps.get(e.number)) })).map(({ e, s }) => h('button', {
      type: 'button', role: 'listitem', class: `lamp lamp-${s.key}`, 'data-number': e.number, 'aria-pressed': selected === e.number ? 'true' : 'false',
      'aria-label': `${partyLabel(e.number, names)}: ${LAMP[s.key]}${s.with.length ? ` ${s.with.join(', ')}` : ''}`,
      onclick: () => {
        selected = e.number;
        draw();
      },
    }, h('span', { class: 'lamp-light', 'aria-hidden': 'true' }), h('span', { class: 'lamp-number' }, e.number), h('span', { class: 'lamp-name' }, e.displayName),
    h('span', { class: 'lamp-state' }, s.with[0] ?? LAMP[s.key]))));
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
  // The busy lamps (ringing, in call), read while the page is open; durations move on meanwhile.
  let reading = false;
  const readLamps = async () => {
    if (reading) return;
    reading = true;
    try {
      lamps = new Map((await api<Lamp[]>('GET', '/api/lamps')).map((l) => [l.extension, l]));
      draw();
    } catch {
      // the stream's state shows a lost connection; the next read tries again
    } finally {
      reading = false;
    }
  };
  void readLamps();
  const tick = window.setInterval(() => void readLamps(), LAMPS_MS);
  return () => {
    off();
    window.clearInterval(tick);
  };
};
