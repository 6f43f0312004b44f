import { api } from '../api.ts';
import { fill, fmtBytes, fmtDuration, h } from '../dom.ts';
import { actionButton, heading, notify, type Page } from '../ui.ts';

interface SystemInfo {
  version: string; bun: string; uptimeSeconds: number; configSource: string; dataDir: string; sipDomain: string; dnsZone: string;
  host: null | {
    cpuPercent: number | null; cpuPerCore: number[];
    memory: { totalBytes: number; usedBytes: number; availableBytes: number } | null;
    temperatures: { cpu: number | null; cpuMax: number | null; chipset: number | null };
    disk: { mount: string; sizeBytes: number; usedBytes: number; usePercent: number } | null;
  };
}

const orUnavailable = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? 'unavailable' : f(v));

/** System: version, sensors, disk; backup download and restore upload. */
export const systemPage: Page = (root) => {
  const info = h('section', {});
  const file = h('input', { type: 'file', name: 'file', accept: '.sqlite,application/vnd.sqlite3,application/octet-stream', id: 'restore-file' });
  const backup = h('section', { class: 'card' },
    h('h2', {}, 'Backup and restore'),
    h('p', {}, h('a', { href: '/api/system/backup', download: '', class: 'button' }, 'Download backup')),
    h('p', { class: 'hint' }, 'A restore replaces extensions, DNS records and settings in one step (all or nothing). Registrations, the event log and the admin password stay as they are.'),
    h('div', { class: 'field' }, h('label', { for: 'restore-file' }, 'Backup file to restore'), file),
    actionButton('Restore', async () => {
      const f = file.files?.[0];
      if (!f) throw new Error('choose a backup file first');
      if (!confirm('Replace the configuration with this backup?')) return;
      const r = await api<{ restored: Record<string, number> }>('POST', '/api/system/restore', f);
      notify(`Restored: ${Object.entries(r.restored).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    }));
  root.replaceChildren(heading('System'), info, backup);

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
