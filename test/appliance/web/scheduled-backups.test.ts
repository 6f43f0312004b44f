/**
 * Scheduled backups (issue 17) against the real store, scheduler (node-cron, every second) and
 * web server: encrypted files in [backups] directory (0600, no secret in clear), the oldest
 * beyond retention removed, listed / downloaded / restored through the API; unauthenticated,
 * cross-site and path-traversing requests refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSealed } from '../../../appliance/admin/backup-crypto.ts';
import { scheduleBackups } from '../../../appliance/control/backup-schedule.ts';
import { readBackupPassphrase } from '../../../appliance/admin/backup-passphrase.ts';
import { parseConfig } from '../../../system/config/index.ts';
import type { ScheduledJob } from '../../../system/schedule/schedule.ts';
import { ApiClient, startWebFixture, type WebFixture } from './support/web-fixture.ts';

const ADMIN_PW = 'Scheduled-Admin-Pass-7';
const EXT_PW = 'Copper-Kettle-Lamp-582';
const PASSPHRASE = 'harbour violet sleet 9031 kiln';
const dir = mkdtempSync(join(tmpdir(), 'scheduled-backups-'));
const passFile = join(dir, 'backup.pass');
let fx: WebFixture;
let api: ApiClient;
let job: ScheduledJob | undefined;

beforeAll(async () => {
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  fx = await startWebFixture({ config: parseConfig(`data_dir = "${join(dir, 'data')}"
[sip]
listen = "127.0.211.1"
domain = "office.lan"
[web]
listen = "127.0.211.1"
port = 0
https = false
[backups]
schedule = "* * * * * *"
retention = 2
passphrase_file = "${passFile}"
`, 'scheduled-backups test') });
  api = new ApiClient(fx.web.url);
  expect((await api.json('POST', '/api/setup', { token: fx.web.setupToken, password: ADMIN_PW })).status).toBe(201);
  expect((await api.json('POST', '/api/extensions', { number: '311', password: EXT_PW, displayName: 'Front desk' })).status).toBe(201);
  job = scheduleBackups(fx.config, fx.store, readBackupPassphrase(fx.config), (e) => { throw e; });
  // Every second (6 fields); scrypt takes ~0.6 s a backup. Bounded: 25 s.
  for (let i = 0; i < 250 && fx.store.events.recent(100, 'backup.scheduled').length < 3; i++) await Bun.sleep(100);
}, 40_000);
afterAll(async () => {
  job?.stop();
  await fx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backups = async () => (await api.json('GET', '/api/system/backups')).body as { schedule: string; retention: number; backups: { name: string; bytes: number }[] };

describe('scheduled backups', () => {
  test('encrypted files, 0600, the oldest beyond retention removed', async () => {
    const written = fx.store.events.recent(100, 'backup.scheduled');
    expect(written.length).toBeGreaterThanOrEqual(3);
    const list = await backups();
    expect(list.schedule).toBe('* * * * * *');
    expect(list.retention).toBe(2);
    expect(list.backups).toHaveLength(2);
    for (const b of list.backups) {
      const path = join(dir, 'data', 'backups', b.name);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const bytes = readFileSync(path);
      expect(isSealed(bytes)).toBe(true);
      const ext = fx.store.extensions.get('311')!;
      for (const secret of [ext.ha1Md5, ext.ha1Sha256, 'Front desk', '"extensions"']) expect(bytes.includes(secret)).toBe(false);
    }
    expect(statSync(join(dir, 'data', 'backups')).mode & 0o777).toBe(0o700);
    expect(list.backups[0].name > list.backups[1].name).toBe(true); // newest first
  });

  test('download gives the file\'s bytes', async () => {
    const [newest] = (await backups()).backups;
    const res = await api.call('GET', `/api/system/backups/${newest.name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${newest.name}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(dir, 'data', 'backups', newest.name)))).toBe(true);
  });

  test('restore with the configured passphrase brings a removed extension back; a wrong given one changes nothing', async () => {
    job?.stop();
    const [newest] = (await backups()).backups;
    expect((await api.call('DELETE', '/api/extensions/311')).status).toBe(204);
    const wrong = await api.call('POST', `/api/system/backups/${newest.name}/restore`, undefined, { 'X-Backup-Passphrase': encodeURIComponent('not the passphrase at all 77') });
    expect(wrong.status).toBe(400);
    expect(fx.store.extensions.get('311')).toBeUndefined();
    const res = await api.json('POST', `/api/system/backups/${newest.name}/restore`);
    expect(res).toEqual({ status: 200, body: { ok: true, restored: { extensions: 1, dnsRecords: 0 }, needPassword: [], trunksNeedPassword: [] } });
    expect(fx.store.extensions.get('311')?.displayName).toBe('Front desk');
  }, 20_000);
});

describe('attacks on the backup endpoints', () => {
  test('without a session: 401 for the list, a download and a restore', async () => {
    const [newest] = (await backups()).backups;
    const anon = new ApiClient(fx.web.url);
    expect((await anon.call('GET', '/api/system/backups')).status).toBe(401);
    expect((await anon.call('GET', `/api/system/backups/${newest.name}`)).status).toBe(401);
    expect((await anon.call('POST', `/api/system/backups/${newest.name}/restore`)).status).toBe(401);
  });

  test('cross-site or without the CSRF token: the restore is refused (403)', async () => {
    const [newest] = (await backups()).backups;
    const path = `/api/system/backups/${newest.name}/restore`;
    expect((await api.call('POST', path, undefined, { 'X-CSRF-Token': '' })).status).toBe(403);
    expect((await api.call('POST', path, undefined, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await api.call('POST', path, undefined, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
  });

  test('a name that leaves the directory or is not a backup is refused, nothing read', async () => {
    writeFileSync(join(dir, 'data', 'backups', 'notes.txt'), 'not a backup');
    chmodSync(join(dir, 'data', 'backups', 'notes.txt'), 0o600);
    expect((await backups()).backups.map((b) => b.name)).not.toContain('notes.txt');
    for (const name of ['..%2Fappliance.db', '..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', 'notes.txt',
      'appliance-backup-2026-01-01T00-00-00-000Z.osabk.partial', '..%2Fbackups%2Fappliance-backup-2026-01-01T00-00-00-000Z.osabk']) {
      const res = await api.json('GET', `/api/system/backups/${name}`);
      expect(res.status, name).toBe(400);
      expect(res.body.error.message).toContain('is not the name of a scheduled backup');
      expect((await api.json('POST', `/api/system/backups/${name}/restore`)).status, name).toBe(400);
    }
    expect((await api.json('GET', '/api/system/backups/appliance-backup-2020-01-01T00-00-00-000Z.osabk')).status).toBe(404);
  });
});
