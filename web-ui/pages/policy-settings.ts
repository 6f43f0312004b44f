import { api } from '../api.ts';
import { fmtDateTime, h, table } from '../dom.ts';
import { actionButton, notify } from '../ui.ts';
import type { PolicyEdits } from '../types.ts';

/**
 * The overload policy's settings (issue 19): the group's editable here, at run time (replicated
 * to the peers; an edit wins over the configuration file, also after a restart, until it is
 * given back to the file); this appliance's own (its CPU, its cores) set in its file.
 * `local` adds the worker bounds and the peers, which are no policy keys.
 */
export async function policySettingsTable(local: [string, string][], reload: () => Promise<void>): Promise<HTMLElement[]> {
  const { settings } = await api<PolicyEdits>('GET', '/api/policy');
  const rows = settings.map((s) => {
    const input = h('input', { name: s.key, value: String(s.value), inputmode: 'decimal', size: '8', 'aria-label': `New value of ${s.key}` });
    const where = s.scope === 'appliance'
      ? 'this appliance (config file)'
      : s.edited ? `group, edited on ${s.edited.on || '?'} ${fmtDateTime(s.edited.at)} (file: ${s.file})` : 'group (config file)';
    return [h('code', {}, s.key), String(s.value), where, s.scope === 'appliance' ? '' : h('span', { class: 'buttons' }, input,
      actionButton('Set', async () => {
        await api('PUT', '/api/policy', { [s.key]: Number(input.value) });
        notify(`${s.key} = ${input.value} for the whole group`);
        await reload();
      }, { 'aria-label': `Set ${s.key}` }),
      s.edited ? actionButton('Back to the file', async () => {
        await api('PUT', '/api/policy', { [s.key]: null });
        notify(`${s.key}: the configuration file's value (${s.file}) again`);
        await reload();
      }, { 'aria-label': `Give ${s.key} back to the file` }) : null)];
  });
  return [
    h('p', { class: 'hint' }, 'The group\'s settings can be changed here: the change applies at once on every peer appliance, and it wins over the '
      + 'configuration file, also after a restart, until you give the key back to the file. This appliance\'s own settings are set in its [control] table.'),
    table('Overload policy settings ([control] keys)', ['Key', 'Value', 'Set by', 'Change'], [...rows, ...local.map(([k, v]) => [h('code', {}, k), v, 'this appliance (config file)', ''])]),
  ];
}
