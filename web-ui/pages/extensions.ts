import { api } from '../api.ts';
import { field, fill, h, table } from '../dom.ts';
import { live } from '../live.ts';
import { partyLabel, nameBook, phoneStatus, STATE_TEXT, type PhoneStatus } from '../parties.ts';
import type { Extension, Provisioning, Snapshot } from '../types.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import { digestText, permissionText, showExtensionEditor } from './extension-editor.ts';
import { extensionImportSection } from './extension-import.ts';
import { phoneSetupCard } from './phone-setup.ts';

type SortKey = 'number' | 'name' | 'status';
const SORTS: [SortKey, string][] = [['number', 'number'], ['name', 'name'], ['status', 'status (in call, ringing, online, offline)']];
const STATE_ORDER = { 'in-call': 0, ringing: 1, online: 2, offline: 3 } as const;

/** The status cell: a coloured badge, and what the phones are (address, user agent, transport) or whom it talks to. */
function statusCell(st: PhoneStatus, names: ReturnType<typeof nameBook>): HTMLElement {
  return h('div', { class: 'status' },
    h('span', { class: `badge state-${st.state}` }, STATE_TEXT[st.state]),
    st.calls.map((c) => h('div', { class: 'status-line' }, `with ${partyLabel(c.other, names)}`)),
    st.calls.length ? null : st.ringing.map((r) => h('div', { class: 'status-line' }, `call from ${partyLabel(r.from, names)}`)),
    st.devices.map((d) => h('div', { class: 'status-line' },
      // The source is kept as transport:address:port; the transport is said once, after the address.
      h('code', {}, d.source.replace(/^(udp|tcp|tls|ws|wss):/i, '')), ` ${d.transport.toUpperCase()}`, d.userAgent ? ` · ${d.userAgent}` : '', d.behindNat ? ' · behind NAT' : '')));
}

/**
 * Extensions: the live list (each extension's phone state from the live stream: offline, online
 * with its devices, in call), search and sort, add / edit / remove, the phone setup card of any
 * extension, CSV import.
 */
export const extensionsPage: Page = (root) => {
  const list = h('section', { 'aria-label': 'Extension list' });
  const editor = h('section', { 'aria-label': 'Extension editor' });
  const setup = h('section', { 'aria-live': 'polite' });
  const imports = h('section', { 'aria-label': 'Import and export extensions' });
  const search = h('input', { type: 'search', name: 'q', placeholder: 'number or name', maxlength: 64 });
  const sort = h('select', { name: 'sort' }, SORTS.map(([v, l]) => h('option', { value: v }, l)));
  const rows = h('div', { id: 'extension-rows' });
  /** Passwords set during this visit, for the setup card only: gone when the admin leaves the page. */
  const passwords = new Map<string, string>();
  let exts: Extension[] = [];
  let prov: Provisioning | undefined;
  let snap: Snapshot | undefined;
  root.replaceChildren(heading('Extensions'), editor, setup, list, imports);
  fill(list, h('h2', {}, 'Extension list'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Find extensions', onsubmit: (e: Event) => e.preventDefault() },
      field('Search', search), field('Sort by', sort)), rows);

  const draw = () => {
    // A live redraw keeps the keyboard focus on the same button.
    const focused = rows.contains(document.activeElement) ? document.activeElement?.getAttribute('aria-label') : null;
    const names = nameBook(exts);
    const q = search.value.trim().toLowerCase();
    const items = exts
      .filter((e) => !q || e.number.includes(q) || e.displayName.toLowerCase().includes(q))
      .map((e) => ({ e, st: phoneStatus(e.number, snap?.registrations ?? [], snap?.calls.active ?? [], snap?.calls.ringing ?? []) }));
    const key = sort.value as SortKey;
    items.sort((a, b) => key === 'name' ? a.e.displayName.localeCompare(b.e.displayName) || a.e.number.localeCompare(b.e.number)
      : key === 'status' ? STATE_ORDER[a.st.state] - STATE_ORDER[b.st.state] || a.e.number.localeCompare(b.e.number)
        : a.e.number.localeCompare(b.e.number, undefined, { numeric: true }));
    fill(rows, table(q ? `Extensions matching "${search.value.trim()}"` : 'Extensions', ['Number', 'Name', 'Status', 'E.164', 'Digest', 'Outside calls', 'Edited on', ''], items.map(({ e, st }) => [
      e.number, e.displayName, statusCell(st, names), e.e164 ?? '', digestText(e), permissionText(e), e.editedOn ?? '',
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', 'aria-label': `Phone setup for extension ${e.number}`, onclick: () => showSetup(e.number) }, 'Phone setup'),
        h('button', { type: 'button', 'aria-label': `Edit extension ${e.number}`, onclick: () => showExtensionEditor(editorHost, e) }, 'Edit'),
        actionButton('Remove', async () => {
          if (!confirm(`Remove extension ${e.number}?`)) return;
          await api('DELETE', `/api/extensions/${encodeURIComponent(e.number)}`);
          passwords.delete(e.number);
          notify(`Extension ${e.number} removed`);
          await load();
        }, { 'aria-label': `Remove extension ${e.number}`, class: 'danger' })),
    ]), exts.length ? 'no extension matches' : 'no extensions yet: add the first one above, or import a CSV file below'));
  };

  const load = async () => {
    exts = await api<Extension[]>('GET', '/api/extensions');
    draw();
  };

  const showSetup = (number: string) => {
    if (!prov) return notify('The phone settings are still loading', 'error');
    const e = exts.find((x) => x.number === number);
    phoneSetupCard(setup, number, e?.displayName ?? '', prov, { passwords, changed: () => void load() });
    setup.scrollIntoView({ block: 'start' });
    setup.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  };

  const editorHost = {
    root: editor,
    saved: async (number: string, password: string | undefined) => {
      if (password) passwords.set(number, password);
      await load();
      showSetup(number);
    },
  };

  search.addEventListener('input', draw);
  sort.addEventListener('change', draw);
  showExtensionEditor(editorHost);
  fill(imports, extensionImportSection(passwords, () => void load()));
  const provReady = api<Provisioning>('GET', '/api/provisioning').then((p) => (prov = p));
  void Promise.all([load(), provReady]).catch((err) => notify(err.message, 'error'));
  // The status column follows the live stream: a phone that leaves shows offline without a reload.
  return live.onSnapshot((s) => {
    snap = s;
    draw();
  });
};
