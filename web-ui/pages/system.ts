import { api, apiDownload } from '../api.ts';
import { fill, fmtBytes, fmtDuration, h } from '../dom.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';
import { adminAccountSection } from './admin-account.ts';
import { scheduledBackupsSection } from './scheduled-backups.ts';

interface SystemInfo {
  version: string; bun: string; uptimeSeconds: number; configSource: string; dataDir: string; sipDomain: string; dnsZone: string;
  host: null | {
    cpuPercent: number | null; cpuPerCore: number[];
    memory: { totalBytes: number; usedBytes: number; availableBytes: number } | null;
    temperatures: { cpu: number | null; cpuMax: number | null; chipset: number | null };
    disk: { mount: string; sizeBytes: number; usedBytes: number; usePercent: number } | null;
  };
}

/** `GET /api/tls`: the admin listener's certificate and, with SIP over TLS, the SIP one. */
interface CertInfo { fingerprint: string; generated: boolean; notAfter: string; names: string[] }
interface TlsInfo extends Partial<CertInfo> { https: boolean; sip?: CertInfo }

const orUnavailable = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? 'unavailable' : f(v));

/** System: version, sensors, disk; backup download and restore upload. */
export const systemPage: Page = (root) => {
  const info = h('section', {});
  const file = h('input', { type: 'file', name: 'file', accept: '.osabk,.json,application/json,application/octet-stream', id: 'restore-file' });
  const newPassphrase = h('input', { type: 'password', name: 'backup-passphrase', id: 'backup-passphrase', autocomplete: 'new-password', maxlength: 1024 });
  const restorePassphrase = h('input', { type: 'password', name: 'restore-passphrase', id: 'restore-passphrase', autocomplete: 'off', maxlength: 1024 });
  const save = ({ blob, fileName }: { blob: Blob; fileName: string }) => {
    const a = h('a', { href: URL.createObjectURL(blob), download: fileName });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };
  const backup = h('section', { class: 'card' },
    h('h2', {}, 'Backup and restore'),
    h('p', { class: 'hint' }, 'A backup holds the extensions and DNS records. Encrypted with your passphrase, it keeps the extensions\' passwords (as hashes). '
      + 'Without a passphrase it holds no secrets: extensions restored from it need new passwords. Peers, the admin password and the appliance\'s own secrets are never in a backup.'),
    h('div', { class: 'field' }, h('label', { for: 'backup-passphrase' }, 'Backup passphrase'), newPassphrase,
      h('small', {}, 'At least 12 characters, hard to guess: without it the backup cannot be restored.')),
    h('p', { class: 'buttons' },
      actionButton('Download encrypted backup', async () => {
        if (!newPassphrase.value) throw new Error('enter a passphrase for the encrypted backup');
        save(await apiDownload('POST', '/api/system/backup', { passphrase: newPassphrase.value }));
        newPassphrase.value = '';
        notify('Encrypted backup downloaded: keep the passphrase somewhere safe.');
      }, { class: 'primary' }),
      actionButton('Download without secrets', async () => {
        save(await apiDownload('GET', '/api/system/backup'));
        notify('Backup without secrets downloaded: restored extensions will need new passwords.');
      })),
    h('p', { class: 'hint' }, 'A restore replaces extensions and DNS records in one step (all or nothing): every row is checked, and a bad row rejects the whole file. Registrations, the event log, peers and the admin password stay as they are.'),
    h('div', { class: 'field' }, h('label', { for: 'restore-file' }, 'Backup file to restore'), file),
    h('div', { class: 'field' }, h('label', { for: 'restore-passphrase' }, 'Passphrase of the backup'), restorePassphrase,
      h('small', {}, 'Only for an encrypted backup.')),
    actionButton('Restore', async () => {
      const f = file.files?.[0];
      if (!f) throw new Error('choose a backup file first');
      if (!confirm('Replace the configuration with this backup?')) return;
      const r = await api<{ restored: Record<string, number>; needPassword: string[] }>('POST', '/api/system/restore', f,
        { 'X-Backup-Passphrase': encodeURIComponent(restorePassphrase.value) });
      restorePassphrase.value = '';
      const need = r.needPassword.length ? ` Set a new password for: ${r.needPassword.join(', ')}.` : '';
      notify(`Restored: ${r.restored.extensions} extensions, ${r.restored.dnsRecords} DNS records.${need}`);
    }));
  const certs = h('section', {});
  root.replaceChildren(heading('System'), info, certs, backup, scheduledBackupsSection(save), adminAccountSection());

  // Fingerprints to check in the browser and to pin on phones (SIP over TLS).
  void api<TlsInfo>('GET', '/api/tls').then((t) => {
    const cert = (title: string, c: CertInfo, hint: string) => h('div', { class: 'card', id: `cert-${title.startsWith('SIP') ? 'sip' : 'admin'}` },
      h('h2', {}, title), h('dl', {},
        h('dt', {}, 'SHA-256 fingerprint'), h('dd', { class: 'fingerprint' }, c.fingerprint),
        h('dt', {}, 'Names'), h('dd', {}, c.names.join(', ')),
        h('dt', {}, 'Valid until'), h('dd', {}, new Date(c.notAfter).toLocaleDateString()),
        h('dt', {}, 'Origin'), h('dd', {}, c.generated ? 'self-signed, generated by this appliance' : 'installed by the administrator')),
      h('p', { class: 'hint' }, hint));
    fill(certs,
      ...(t.https && t.fingerprint ? [cert('Admin listener certificate', t as CertInfo, 'The browser shows this fingerprint for the admin UI.')] : []),
      ...(t.sip ? [cert('SIP over TLS certificate', t.sip, 'Pin this fingerprint on phones that connect over TLS (port 5061 by default) when the certificate is self-signed.')] : []));
  }).catch((err) => notify(err.message, 'error'));

  void api<SystemInfo>('GET', '/api/system').then((s) => {
    const row = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
    const host = s.host;
    fill(info, h('div', { class: 'card' }, h('h2', {}, 'Appliance'), h('dl', {},
      row('Version', `${s.version} (Bun ${s.bun})`), row('Up for', fmtDuration(s.uptimeSeconds * 1000)),
      row('SIP domain', s.sipDomain), row('DNS zone', s.dnsZone), row('Configuration', s.configSource), row('Data directory', s.dataDir))),
    h('div', { class: 'card' }, h('h2', {}, 'Sensors'), host ? h('dl', {},
      row('CPU', orUnavailable(host.cpuPercent, (v) => `${v.toFixed(0)} % (${host.cpuPerCore.map((c) => c.toFixed(0)).join(' / ')} per core)`)),
      row('Memory', host.memory ? `${fmtBytes(host.memory.totalBytes - host.memory.availableBytes)} of ${fmtBytes(host.memory.totalBytes)}` : 'unavailable'),
      row('CPU temperature', orUnavailable(host.temperatures.cpu, (v) => `${v.toFixed(0)} °C`)),
      row('CPU max temperature', orUnavailable(host.temperatures.cpuMax, (v) => `${v.toFixed(0)} °C`)),
      row('Chipset temperature', orUnavailable(host.temperatures.chipset, (v) => `${v.toFixed(0)} °C`)),
      row('Disk', host.disk ? `${fmtBytes(host.disk.usedBytes)} of ${fmtBytes(host.disk.sizeBytes)} (${host.disk.usePercent.toFixed(0)} %) on ${host.disk.mount}` : 'unavailable'),
    ) : h('p', {}, 'No operating-state sample yet.')));
  }).catch((err) => notify(err.message, 'error'));
};
