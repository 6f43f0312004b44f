import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import type { RunningWebServer } from '../../appliance/web/server.ts';
import type { TraceEntry } from '../../appliance/sip/call-trace.ts';
import type { TestAppliance } from '../support/appliance.ts';
import { overlaps, screenshot } from '../support/chromium.ts';
import { requireTool } from '../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS } from '../support/sipp.ts';
import type { StoreView } from '../appliance/web/support/store-view.ts';
import { startStoreViewUi, type StoreViewUi } from './support/admin-ui.ts';

/**
 * The admin UI bugs of issue 18 "Bugs seen", each reproduced in Debian's Chromium over a real
 * in-process appliance (SIP on 127.0.240.1, a sipp phone on 127.0.240.10) and its store (each
 * of those tests failed before its fix); then the extension list's search, sort and CSV import
 * and export.
 */
const HOST = '127.0.240.1';
const PHONE = '127.0.240.10';
const ADMIN_PW = 'Bugs-Admin-Pass-77';
const EXT_PW = 'Phone-Secret-301x';
const hasChromium = requireTool('chromium');
const hasSipp = requireTool('sipp');

let ui: StoreViewUi;
let app: TestAppliance;
let view: StoreView;
let web: RunningWebServer;
let page: Page;

const noticeText = () => page.locator('#notice').textContent();

describe.skipIf(!hasChromium)('admin UI bugs (issue 18) in Chromium', () => {
  beforeAll(async () => {
    ui = await startStoreViewUi(HOST, { webListen: '127.0.0.1' });
    ({ app, view, web, page } = ui);
  }, 30_000);
  afterAll(async () => {
    await ui?.stop();
  }, 20_000);

  test('a setup link pasted into a tab on the setup page fills the token; after setup the token is in neither the URL nor the history', async () => {
    await page.goto(`${web.url}/#/setup`);
    await page.getByRole('heading', { name: 'First-run setup' }).waitFor();
    expect(await page.getByLabel('Setup token').inputValue()).toBe('');
    // The admin pastes the console's link into the same tab: only the hash changes.
    await page.evaluate((t) => { location.hash = `#/setup/${t}`; }, web.setupToken!);
    await page.waitForFunction((t) => (document.querySelector('input[name="token"]') as HTMLInputElement | null)?.value === t, web.setupToken!);
    expect(page.url()).not.toContain(web.setupToken!);
    await page.getByLabel('New admin password').fill(ADMIN_PW);
    await page.getByLabel('Repeat the password').fill(ADMIN_PW);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(page.url()).not.toContain(web.setupToken!);
    const visited: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goBack().catch(() => null);
      visited.push(page.url());
    }
    expect(visited.filter((u) => u.includes(web.setupToken!))).toEqual([]);
    await page.goto(`${web.url}/#/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 20_000);

  test('notices: "Record added" leaves at the next attempt and at a page change, never covers a button; a duplicate marks its field', async () => {
    await page.getByRole('link', { name: 'DNS' }).click();
    await page.getByLabel('Name', { exact: true }).fill('printer');
    await page.getByLabel('Value').fill('192.168.1.50');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.locator('#notice').filter({ hasText: 'Record added' }).waitFor();
    await page.getByRole('button', { name: 'Remove printer.office.lan A' }).waitFor();
    const notice = (await page.locator('#notice').boundingBox())!;
    for (const b of await page.locator('main button').all()) {
      const box = await b.boundingBox();
      if (box) expect(overlaps(notice, box)).toBe(false);
    }
    // The same record again: the error is at the field, and the old success notice is gone.
    await page.getByLabel('Name', { exact: true }).fill('printer');
    await page.getByLabel('Value').fill('192.168.1.50');
    await page.getByRole('button', { name: 'Add record' }).click();
    await page.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    expect(await noticeText()).not.toContain('Record added');
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // A success notice does not follow to another page.
    await page.getByRole('button', { name: 'Remove printer.office.lan A' }).click();
    await page.locator('#notice').filter({ hasText: 'Record removed' }).waitFor();
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    expect(await noticeText()).toBe('');
  }, 20_000);

  test('a duplicate extension marks the Number field; phone values are readable (no "UDP OR TCP", no 11 px code)', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    await page.getByLabel('Number', { exact: true }).fill('301');
    await page.getByLabel('Name', { exact: true }).fill('Front desk');
    await page.getByLabel('Password', { exact: true }).fill(EXT_PW);
    await page.getByRole('button', { name: 'Add extension' }).click();
    const card = page.locator('#phone-setup');
    await card.waitFor();
    const text = (await card.textContent())!;
    expect(text).not.toContain('UDP OR TCP');
    expect(text).not.toContain(' or ');
    const size = await card.locator('code').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(size).toBeGreaterThanOrEqual(15);
    await page.getByLabel('Number', { exact: true }).fill('301');
    await page.getByLabel('Password', { exact: true }).fill(EXT_PW);
    await page.getByRole('button', { name: 'Add extension' }).click();
    await page.getByRole('alert').filter({ hasText: 'extension 301 already exists' }).waitFor();
    expect(await page.getByLabel('Number', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // DNS values in code font are full size too.
    await page.getByRole('link', { name: 'DNS' }).click();
    const value = page.getByRole('table', { name: 'Derived records' }).locator('code').first();
    await value.waitFor();
    expect(await value.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(14);
  }, 20_000);

  test.skipIf(!hasSipp)('the extension list is live: a phone that registers shows online, one that leaves shows offline, without a reload', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: '301', exact: true }) });
    await row.getByText('offline', { exact: true }).waitFor();
    const url = page.url();
    const phonePort = await freePort(PHONE);
    const register = (expires: number) => runSipp(['-sf', `${SCENARIOS}/register-auth.xml`, '-s', '301', '-au', '301', '-ap', EXT_PW, '-key', 'expires', String(expires),
      `${HOST}:${app.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 15);
    expect((await register(3600)).code).toBe(0);
    await row.getByText('online', { exact: true }).waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain(`${PHONE}:${phonePort}`);
    expect(await row.textContent()).toContain('sipp-phone');
    await screenshot(page, 'extensions-live');
    // The phone leaves (REGISTER with Expires: 0).
    expect((await register(0)).code).toBe(0);
    await row.getByText('offline', { exact: true }).waitFor({ timeout: 5000 });
    expect(page.url()).toBe(url);
  }, 30_000);

  test('phone-sized screen: no blank band under the menu on a short page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('cell', { name: 'no address is banned' }).waitFor();
    const nav = (await page.locator('nav').boundingBox())!;
    const last = (await page.locator('nav button.logout').boundingBox())!;
    const h1 = (await page.getByRole('heading', { name: 'Security', level: 1 }).boundingBox())!;
    expect(nav.y + nav.height - (last.y + last.height)).toBeLessThan(20);
    expect(h1.y - (nav.y + nav.height)).toBeLessThan(40);
    await screenshot(page, 'security-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 20_000);

  test('peers: with none configured there is no take-back button, and the page says why', async () => {
    await page.getByRole('link', { name: 'Peers' }).click();
    await page.getByText(/No peer appliances configured/).waitFor();
    expect(await page.getByRole('button', { name: /Take traffic back/ }).count()).toBe(0);
    view.peerList = [{ name: 'b', url: 'https://192.0.2.7:8443', sip: '192.0.2.7:5060', state: 'up', lastHeartbeatAt: Date.now(), role: 'normal' }];
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('link', { name: 'Peers' }).click();
    await page.getByRole('button', { name: 'Hand off to b' }).waitFor();
    expect(await page.getByRole('button', { name: /Take traffic back/ }).count()).toBe(0);
    view.peerList = [];
  }, 20_000);

  test('ladder: lane names and long reasons stay inside, and a ladder opened during the call follows it to the BYE', async () => {
    const t = Date.now();
    const callId = 'live-ladder-1';
    const tags = ['ft1', 'tt1'] as const;
    const caller = '127.0.240.21:5060';
    const callee = '127.0.240.22:5062';
    const entries: TraceEntry[] = [
      { ts: t, dir: 'in', peer: caller, label: 'INVITE' },
      { ts: t + 2, dir: 'out', peer: caller, label: '407 Proxy Authentication Required' },
      { ts: t + 5, dir: 'in', peer: caller, label: 'ACK' },
      { ts: t + 9, dir: 'in', peer: caller, label: 'INVITE' },
      { ts: t + 10, dir: 'out', peer: callee, label: 'INVITE' },
      { ts: t + 40, dir: 'in', peer: callee, label: '180 Ringing' },
      { ts: t + 41, dir: 'out', peer: caller, label: '180 Ringing' },
      { ts: t + 900, dir: 'in', peer: callee, label: '200 OK' },
      { ts: t + 901, dir: 'out', peer: caller, label: '200 OK' },
    ];
    view.traces.set(callId, entries);
    app.addExtension('302', 'Phone-Secret-302x');
    app.app.store.extensions.update('302', { displayName: 'Accounts payable and receivable, second floor' });
    view.calls.apply(1, [{ kind: 'start', callId, tags, from: 'sip:301@office.lan', to: 'sip:302@office.lan', ts: t + 901 }]);
    await page.getByRole('link', { name: 'Calls' }).click();
    await page.getByRole('button', { name: /^Show ladder of call from Front desk \(301\) to Accounts payable/ }).click();
    const ladder = page.locator('.ladder');
    await ladder.getByText('407 Proxy Authentication Required').waitFor();
    const card = (await page.locator('.ladder-card').boundingBox())!;
    for (const name of await ladder.locator('.lane-name').all()) {
      const box = (await name.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(card.x + card.width);
      expect(await name.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    }
    const label = (await ladder.getByText('407 Proxy Authentication Required').boundingBox())!;
    const span = (await ladder.locator('.ladder-msg', { hasText: '407 Proxy Authentication Required' }).boundingBox())!;
    expect(label.x).toBeGreaterThanOrEqual(span.x - 0.5);
    expect(label.x + label.width).toBeLessThanOrEqual(span.x + span.width + 0.5);
    expect(await ladder.getByText('BYE').count()).toBe(0);
    // The callee hangs up while the ladder is open.
    entries.push({ ts: Date.now(), dir: 'in', peer: callee, label: 'BYE' }, { ts: Date.now() + 1, dir: 'out', peer: caller, label: 'BYE' },
      { ts: Date.now() + 3, dir: 'in', peer: caller, label: '200 OK' }, { ts: Date.now() + 4, dir: 'out', peer: callee, label: '200 OK' });
    view.calls.apply(1, [{ kind: 'end', callId, tags, ts: Date.now() + 4, reason: 'BYE' }]);
    await ladder.getByText('BYE').first().waitFor({ timeout: 5000 });
    expect(await ladder.locator('.ladder-row').count()).toBe(13);
    await screenshot(page, 'ladder');
    await page.setViewportSize({ width: 390, height: 844 });
    const narrow = (await page.locator('.ladder-card').boundingBox())!;
    expect(narrow.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'ladder-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  test('extensions: CSV import (generated passwords on the setup card, on demand), a refused file lists its bad lines, search, sort, CSV export', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    const file = page.getByLabel('CSV file to import');
    await file.setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('number,name\n401,Fine\n4x1,Bad\n301,Taken\n') });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'import refused, nothing was changed' });
    await alert.waitFor();
    expect(await alert.locator('li').allTextContents()).toEqual([
      'line 3 (number): invalid extension number "4x1": use 2 to 10 digits', 'line 4 (number): extension 301 already exists']);
    expect(app.app.store.extensions.get('401')).toBeUndefined();
    await file.setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from('number,name,password\r\n401,Store room,\r\n402,=HYPERLINK(1),Quiet-Lamp-4027\r\n') });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('2 extensions imported (401, 402). 1 password was generated').waitFor();
    await page.getByRole('button', { name: 'Phone setup for extension 401' }).click();
    const card = page.locator('#phone-setup');
    await card.getByRole('heading', { name: 'Phone setup for extension 401 (Store room)' }).waitFor();
    await card.getByRole('button', { name: 'Show' }).click();
    const shown = (await card.locator('code.secret').textContent())!;
    expect(shown).toHaveLength(16);
    expect(app.app.store.extensions.get('401')).toBeDefined();
    // Search and sort.
    await page.getByLabel('Search').fill('store');
    const table = page.getByRole('table', { name: 'Extensions matching "store"' });
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBe(2);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Sort by').selectOption('name');
    const names = await page.getByRole('table', { name: 'Extensions' }).locator('tbody tr td:nth-child(2)').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download extensions as CSV' }).click()]);
    const text = await Bun.file((await download.path())!).text();
    expect(text).toContain('402,\'=HYPERLINK(1),');
    await screenshot(page, 'extensions-import');
  }, 30_000);
});
