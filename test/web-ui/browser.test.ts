import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { adminPage, sharedChromium } from '../support/chromium.ts';
import { startWebServer, type RunningWebServer } from '../../appliance/web/server.ts';
import { startTestAppliance, type TestAppliance } from '../support/appliance.ts';
import { requireTool } from '../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS } from '../support/sipp.ts';
import { StoreView } from '../appliance/web/support/store-view.ts';

/**
 * The admin UI in Debian's Chromium (playwright-core), over a real in-process appliance (SIP on
 * 127.0.11.1) and its store: first-run setup, login, extensions, a sipp phone registering and
 * showing up without a reload, live charts from real samples, escaping. Screenshots go to
 * test-artifacts/web-ui/.
 */
const HOST = '127.0.11.1';
const PHONE = '127.0.11.10';
const ADMIN_PW = 'Browser-Admin-Pass-1';
const EXT_PW = 'Phone-Secret-201';
const BACKUP_PASSPHRASE = 'granite orchid tram 4417 blue';
const SHOTS = resolve(import.meta.dir, '../../test-artifacts/web-ui');
const hasChromium = requireTool('chromium');
const hasSipp = requireTool('sipp');

let app: TestAppliance;
let view: StoreView;
let web: RunningWebServer;
let page: Page;
const dialogs: string[] = [];

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

describe.skipIf(!hasChromium)('admin UI in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    app = await startTestAppliance(HOST);
    const config = { ...app.config, sip: { ...app.config.sip, port: app.port }, web: { ...app.config.web, listen: '127.0.0.1', port: 0 } };
    view = new StoreView(app.app.store, config);
    web = await startWebServer({ config, store: app.app.store, view });
    // Over HTTPS with the certificate the server generated (self-signed, so not verified here).
    expect(web.url).toStartWith('https://');
    page = await adminPage(await sharedChromium(), dialogs);
  }, 30_000);
  afterAll(async () => {
    await page?.context().close();
    await web?.stop();
    await app?.stop();
  }, 20_000);

  test('first-run setup with the console token', async () => {
    await page.goto(`${web.url}/#/setup/${web.setupToken}`);
    await page.getByRole('heading', { name: 'First-run setup' }).waitFor();
    expect(await page.getByLabel('Setup token').inputValue()).toBe(web.setupToken!);
    await page.getByLabel('New admin password').fill(ADMIN_PW);
    await page.getByLabel('Repeat the password').fill(ADMIN_PW);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(app.app.store.settings.get('admin.password_hash')).toStartWith('$argon2');
  }, 20_000);

  test('the dashboard charts real operating-state samples as they arrive', async () => {
    for (let i = 0; i < 4; i++) {
      await view.sample([{ cpuShare: 0.1 + 0.1 * i }, { cpuShare: 0.3 }]);
      await Bun.sleep(150);
    }
    const cpu = page.locator('figure.chart', { hasText: 'CPU and memory' }).locator('svg');
    await page.waitForFunction(() => Number(document.querySelector('#charts figure svg')?.getAttribute('data-points') ?? 0) >= 4);
    expect(await cpu.locator('polyline').count()).toBeGreaterThan(0);
    const workers = page.locator('figure.chart', { hasText: 'Worker CPU share' });
    expect(await workers.locator('polyline').count()).toBe(2);
    expect(await page.getByText(/^worker 2: 30 %$/).count()).toBe(1);
    await shot('dashboard');
  }, 20_000);

  test('log out, a wrong password is refused, the right one logs in', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Admin password').fill('Not-The-Password-1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
    await page.getByLabel('Admin password').fill(ADMIN_PW);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 20_000);

  test('add extensions; a script in a name shows as text', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    await page.getByRole('heading', { name: 'Add an extension' }).waitFor();
    await page.getByLabel('Number', { exact: true }).fill('201');
    await page.getByLabel('Name', { exact: true }).fill('Reception');
    await page.getByLabel('Password', { exact: true }).fill(EXT_PW);
    await page.getByRole('button', { name: 'Add extension' }).click();
    await page.getByRole('heading', { name: 'Phone setup for extension 201 (Reception)' }).waitFor();
    // The password is a secret: on the card only when the admin asks for it.
    expect(await page.locator('.provisioning').textContent()).not.toContain(EXT_PW);
    await page.locator('.provisioning').getByRole('button', { name: 'Show' }).click();
    expect(await page.locator('.provisioning').textContent()).toContain(EXT_PW);

    // Validation errors come back next to the form.
    await page.getByLabel('Number', { exact: true }).fill('20x');
    await page.getByRole('button', { name: 'Generate strong password' }).click();
    await page.getByRole('button', { name: 'Add extension' }).click();
    await page.getByRole('alert').filter({ hasText: 'invalid extension number' }).waitFor();

    const evil = '<script>alert(1)</script>';
    await page.getByLabel('Number', { exact: true }).fill('202');
    await page.getByLabel('Name', { exact: true }).fill(evil);
    await page.getByRole('button', { name: 'Generate strong password' }).click();
    const generated = await page.getByLabel('Password', { exact: true }).inputValue();
    expect(generated).toHaveLength(16);
    await page.getByRole('button', { name: 'Add extension' }).click();
    const cell = page.getByRole('cell', { name: evil, exact: true });
    await cell.waitFor();
    expect(await cell.textContent()).toBe(evil);
    expect(await page.locator('main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(app.app.store.extensions.get('202')?.displayName).toBe(evil);
    // The digest algorithm per extension (issue 11): MD5 by default, SHA-256 chosen in the editor.
    expect(app.app.store.extensions.get('201')?.digest).toBe('default');
    await page.getByRole('button', { name: 'Edit extension 201' }).click();
    await page.getByLabel('Digest algorithm').selectOption('sha-256');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'SHA-256', exact: true }).waitFor();
    expect(app.app.store.extensions.get('201')?.digest).toBe('sha-256');
    await shot('extensions');
    // Back to the default: sipp (the phone of the next test) answers MD5 only.
    await page.getByRole('button', { name: 'Edit extension 201' }).click();
    await page.getByLabel('Digest algorithm').selectOption('default');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'MD5', exact: true }).first().waitFor();
    expect(app.app.store.extensions.get('201')?.digest).toBe('default');
  }, 20_000);

  test.skipIf(!hasSipp)('a sipp phone registers and appears on the registrations page without a reload', async () => {
    await page.getByRole('link', { name: 'Registrations' }).click();
    await page.getByRole('cell', { name: 'no phone is registered' }).waitFor();
    const url = page.url();
    const phonePort = await freePort(PHONE);
    const r = await runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '201', '-au', '201', '-ap', EXT_PW, '-key', 'expires', '3600',
      `${HOST}:${app.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 15);
    expect(r.code).toBe(0);
    await page.getByRole('cell', { name: `sip:201@${PHONE}:${phonePort};transport=UDP`, exact: true }).waitFor({ timeout: 5000 });
    expect(page.url()).toBe(url);
    expect(await page.getByRole('cell', { name: 'sipp-phone' }).count()).toBe(1);
    await shot('registrations');
    await page.getByRole('button', { name: `Unregister sip:201@${PHONE}:${phonePort};transport=UDP` }).click();
    await page.getByRole('cell', { name: 'no phone is registered' }).waitFor();
  }, 20_000);

  test('the calls page lists the call records, filters them, and draws a ladder for a selected call', async () => {
    const t = Date.now();
    const records = app.app.store.callRecords;
    records.open({ callId: 'ladder-call', fromTag: 'a', toTag: 'b', from: 'sip:201@office.lan', to: 'sip:202@office.lan', routedTo: null,
      direction: 'internal', trunk: null, startedAt: t - 5000, answeredAt: t - 3000, endedAt: t, result: 200, reason: 'BYE', worker: 1 });
    records.open({ callId: 'busy-call', fromTag: 'c', from: 'sip:203@office.lan', to: 'sip:204@office.lan', routedTo: null,
      direction: 'internal', trunk: null, startedAt: t - 1000, endedAt: t - 900, result: 486, reason: '486 Busy Here', worker: 1 });
    await page.getByRole('link', { name: 'Calls' }).click();
    const list = page.getByRole('table', { name: 'Call records, newest first' });
    await list.getByRole('cell', { name: '486 Busy Here' }).waitFor();
    await list.getByRole('cell', { name: 'answered, BYE' }).waitFor();
    // Search by extension: only 201's call is left.
    await page.getByLabel('Extension').fill('201');
    await page.getByRole('button', { name: 'Search' }).click();
    await list.getByRole('cell', { name: '486 Busy Here' }).waitFor({ state: 'detached' });
    expect(await list.getByRole('row').count()).toBe(2); // header + one record
    // Names next to numbers: 201 is "Reception", 202 the script-named extension.
    await page.getByRole('button', { name: 'Show ladder of call from Reception (201) to <script>alert(1)</script> (202)' }).click();
    const ladder = page.locator('.ladder');
    await ladder.waitFor();
    expect(await ladder.locator('.ladder-row').count()).toBe(10);
    await shot('calls');
  }, 20_000);

  test('DNS, peers, system and events pages render on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'DNS' }).click();
    await page.getByLabel('Name', { exact: true }).fill('printer');
    await page.getByLabel('Value').fill('192.168.1.50');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByRole('cell', { name: 'printer.office.lan' }).first().waitFor();
    await shot('dns-phone');
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('heading', { name: 'Sensors' }).waitFor();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('cell', { name: 'extension 202 added' }).waitFor();
    await page.getByLabel('Kind').selectOption('admin.');
    await page.getByRole('link', { name: 'Peers' }).click();
    await page.getByRole('heading', { name: 'Overload policy' }).waitFor();
    // The reload button goes through the API: this view has no config file, so the refusal is shown.
    await page.getByRole('button', { name: 'Reload the configuration file' }).click();
    await page.locator('#notice.error', { hasText: 'no config file to reload' }).waitFor();
    expect(view.reloads).toBe(1);
    await page.getByRole('link', { name: 'Extensions' }).click();
    await page.getByRole('cell', { name: 'Reception' }).waitFor();
    await shot('extensions-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 20_000);

  test('the System page downloads an encrypted backup and restores it with its passphrase (a wrong one changes nothing)', async () => {
    const store = app.app.store;
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByLabel('Backup passphrase').fill(BACKUP_PASSPHRASE);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download encrypted backup' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^appliance-backup-.*\.osabk$/);
    const file = `${SHOTS}/backup.osabk`;
    await download.saveAs(file);
    const bytes = Buffer.from(await Bun.file(file).arrayBuffer());
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('OSABKENC');
    expect(bytes.includes(store.extensions.get('201')!.ha1Md5)).toBe(false);

    const before = store.extensions.list();
    store.extensions.remove('202');
    await page.getByLabel('Backup file to restore').setInputFiles(file);
    await page.getByLabel('Passphrase of the backup').fill('not the passphrase at all');
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.locator('#notice').filter({ hasText: 'wrong passphrase' }).waitFor();
    expect(store.extensions.get('202')).toBeUndefined();

    await page.getByLabel('Passphrase of the backup').fill(BACKUP_PASSPHRASE);
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await page.locator('#notice').filter({ hasText: 'Restored: 2 extensions, 1 DNS records.' }).waitFor();
    expect(store.extensions.list().map((e) => [e.number, e.ha1Md5])).toEqual(before.map((e) => [e.number, e.ha1Md5]));
    await shot('system-backup');
  }, 30_000);
});
