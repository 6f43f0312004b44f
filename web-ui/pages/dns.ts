import { api } from '../api.ts';
import { field, fill, h, table } from '../dom.ts';
import type { DnsList, DnsRecord } from '../types.ts';
import { actionButton, clearFormError, heading, notify, showFormError, type Page } from '../ui.ts';

/** DNS records: admin-managed ones (add, edit, remove) and the derived ones (read-only). */
export const dnsPage: Page = (root) => {
  const editor = h('section', { 'aria-label': 'DNS record editor' });
  const admin = h('section', {});
  const derived = h('section', {});
  root.replaceChildren(heading('DNS records'), editor, admin, derived);
  let info: DnsList | undefined;

  const showEditor = (existing?: DnsRecord) => {
    if (!info) return;
    const name = h('input', { name: 'name', required: true, value: existing?.name ?? '', placeholder: `printer (= printer.${info.zone})` });
    const type = h('select', { name: 'type' }, info.types.map((t) => h('option', { value: t, selected: existing?.type === t }, t)));
    const value = h('input', { name: 'value', required: true, value: existing?.value ?? '', placeholder: '192.168.1.50' });
    const ttl = h('input', { name: 'ttl', inputmode: 'numeric', value: existing && existing.ttl !== info.defaultTtl ? String(existing.ttl) : '', placeholder: String(info.defaultTtl) });
    const form = h('form', { class: 'card', novalidate: true, 'aria-label': existing ? 'Edit DNS record' : 'Add DNS record' },
      h('h2', {}, existing ? `Edit ${existing.name} ${existing.type}` : 'Add a record'),
      h('div', { class: 'form-grid' }, field('Name', name, `relative to ${info.zone}, or absolute with a trailing dot`), field('Type', type),
        field('Value', value, 'SRV: priority weight port target; NAPTR: order pref "flags" "services" "regexp" replacement'), field('TTL (s)', ttl, 'empty: default')),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, existing ? 'Save' : 'Add record'),
        existing ? h('button', { type: 'button', onclick: () => showEditor() }, 'Cancel') : null));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFormError(form);
      const ttlText = ttl.value.trim();
      if (ttlText && !/^\d+$/.test(ttlText)) return showFormError(form, new Error('TTL must be a number of seconds'));
      const body = { name: name.value.trim(), type: type.value, value: value.value.trim(), ttl: ttlText ? Number(ttlText) : null };
      try {
        if (existing) await api('PUT', `/api/dns/${existing.id}`, body);
        else await api('POST', '/api/dns', body);
        notify(existing ? 'Record saved' : 'Record added');
        showEditor();
        await load();
      } catch (err) {
        showFormError(form, err);
      }
    });
    fill(editor, form);
  };

  const load = async () => {
    info = await api<DnsList>('GET', '/api/dns');
    const mine = info.records.filter((r) => r.derived === null);
    const other = info.records.filter((r) => r.derived !== null);
    fill(admin, h('h2', {}, 'Admin records'), table('Records you manage', ['Name', 'Type', 'Value', 'TTL', 'Edited on', ''], mine.map((r) => [
      r.name, r.type, h('code', {}, r.value), String(r.ttl), r.editedOn ?? '',
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', onclick: () => showEditor(r), 'aria-label': `Edit ${r.name} ${r.type}` }, 'Edit'),
        actionButton('Remove', async () => {
          if (!confirm(`Remove ${r.name} ${r.type} ${r.value}?`)) return;
          await api('DELETE', `/api/dns/${r.id}`);
          notify('Record removed');
          await load();
        }, { class: 'danger', 'aria-label': `Remove ${r.name} ${r.type}` })),
    ]), 'no admin records'));
    fill(derived, h('h2', {}, 'Derived records'), h('p', { class: 'hint' }, 'Made by the appliance from registrations, extensions (ENUM) and its SIP service; read-only.'),
      table('Derived records', ['Name', 'Type', 'Value', 'TTL', 'From'], other.map((r) => [r.name, r.type, h('code', {}, r.value), String(r.ttl), r.derived ?? ''])));
    if (!editor.firstChild) showEditor();
  };
  void load();
};
