import { api, apiDownload } from '../api.ts';
import { fill, fmtBytes, fmtDateTime, h, table } from '../dom.ts';
import { actionButton, notify } from '../ui.ts';
import type { Restored, ScheduledBackups } from '../types.ts';

/**
 * The System page's list of scheduled backups (`[backups]` in the config file): each can be
 * downloaded or restored (with the configured passphrase, or the one typed for an older file).
 */
export function scheduledBackupsSection(save: (file: { blob: Blob; fileName: string }) => void): HTMLElement {
  const section = h('section', { class: 'card', id: 'scheduled-backups' }, h('h2', {}, 'Scheduled backups'), h('p', {}, 'Loading…'));
  const passphrase = h('input', { type: 'password', name: 'scheduled-passphrase', id: 'scheduled-passphrase', autocomplete: 'off', maxlength: 1024 });
  const load = async () => {
    const s = await api<ScheduledBackups>('GET', '/api/system/backups');
    const rows = s.backups.map((b) => [
      fmtDateTime(b.createdAt), fmtBytes(b.bytes),
      h('span', { class: 'buttons' },
        actionButton('Download', async () => save(await apiDownload('GET', `/api/system/backups/${encodeURIComponent(b.name)}`)), { 'aria-label': `Download ${b.name}` }),
        actionButton('Restore', async () => {
          if (!confirm(`Replace the configuration with the backup of ${fmtDateTime(b.createdAt)}?`)) return;
          const r = await api<Restored>('POST', `/api/system/backups/${encodeURIComponent(b.name)}/restore`, undefined,
            passphrase.value ? { 'X-Backup-Passphrase': encodeURIComponent(passphrase.value) } : {});
          passphrase.value = '';
          const need = r.needPassword.length ? ` Set a new password for: ${r.needPassword.join(', ')}.` : '';
          notify(`Restored: ${r.restored.extensions} extensions, ${r.restored.dnsRecords} DNS records.${need}`);
        }, { 'aria-label': `Restore ${b.name}` })),
    ]);
    fill(section, h('h2', {}, 'Scheduled backups'),
      h('p', { class: 'hint' }, s.schedule
        ? `Encrypted with the passphrase of [backups] passphrase_file, on the schedule "${s.schedule}"; the newest ${s.retention} are kept.`
        : 'No schedule: set [backups] schedule and passphrase_file in the configuration file. Backups made earlier are listed here.'),
      table('Scheduled backups', ['Made', 'Size', 'Actions'], rows, 'no scheduled backup yet'),
      h('div', { class: 'field' }, h('label', { for: 'scheduled-passphrase' }, 'Passphrase (only for a backup made before the passphrase changed)'), passphrase));
  };
  void load().catch((err) => notify(err.message, 'error'));
  return section;
}
