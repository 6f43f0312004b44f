import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import type { RunningWebServer } from '../../appliance/web/server.ts';
import type { TraceEntry } from '../../appliance/sip/call-trace.ts';
import type { TestAppliance } from '../support/appliance.ts';
import { screenshot, setUpAdmin } from '../support/chromium.ts';
import { requireTool } from '../support/require-tool.ts';
import { freePort } from '../support/sipp.ts';
import type { StoreView } from '../appliance/web/support/store-view.ts';
import { startStoreViewUi, type StoreViewUi } from './support/admin-ui.ts';

/**
 * Issue 18 items that were built without a browser test, in Debian's Chromium over a real
 * in-process appliance (SIP, DNS and the admin UI on 127.1.58.1): the phone setup card's fields
 * under each phone family's own labels, its copy buttons (read back from the clipboard) and the
 * appliance's DNS name offered next to its address; the ladder's time and delta per message
 * and its text export; the call history CSV of the search shown; a refused hand-off's reason;
 * the pages by keyboard alone.
 */
const HOST = '127.1.58.1';
const ADMIN_PW = 'Setup-Card-Admin-58';
const EXT_PW = 'Phone-Secret-581q';
const hasChromium = requireTool('chromium');

let ui: StoreViewUi;
let app: TestAppliance;
let view: StoreView;
let web: RunningWebServer;
let page: Page;
let dnsPort = 0;

const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
/** The card's field labels, in order, for the phone family chosen. */
const labels = () => page.locator('#phone-setup table.setup-table tbody th').allTextContents();
/** The value shown for one field of the card. */
const valueOf = (label: string) => page.locator('#phone-setup tbody tr').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) }).locator('code').textContent();

describe.skipIf(!hasChromium)('phone setup card, ladder export, keyboard use (issue 18) in Chromium', () => {
  beforeAll(async () => {
    dnsPort = await freePort(HOST);
    ui = await startStoreViewUi(HOST, { appliance: { dns: `enabled = true\nlisten = "${HOST}"\nport = ${dnsPort}` } });
    ({ app, view, web, page } = ui);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
    await setUpAdmin(page, web.url, web.setupToken!, ADMIN_PW);
  }, 30_000);
  afterAll(async () => {
    await ui?.stop();
  }, 20_000);

  test('each phone family under its own labels; the DNS name sip.<zone> offered next to the address; every copy button copies its value', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    await page.getByLabel('Number', { exact: true }).fill('581');
    await page.getByLabel('Name', { exact: true }).fill('Reception');
    await page.getByLabel('Password', { exact: true }).fill(EXT_PW);
    await page.getByRole('button', { name: 'Add extension' }).click();
    const card = page.locator('#phone-setup');
    await card.getByRole('heading', { name: 'Phone setup for extension 581 (Reception)' }).waitFor();

    // The server: our DNS name first (answered by the DNS function), then the address.
    const server = card.getByLabel('Server', { exact: true });
    expect(await server.locator('option').allTextContents()).toEqual(['sip.office.lan (DNS name)', HOST]);
    await card.getByText(`sip.office.lan is answered by this appliance's DNS function`).waitFor();
    await card.getByText(`on port ${dnsPort}`).waitFor();

    const family = card.getByLabel('Phone', { exact: true });
    const expected: [string, RegExp, string[]][] = [
      ['yealink', /^Yealink/, ['Register Name', 'User Name', 'Password', 'SIP Server 1', 'Port', 'Transport', 'Outbound Proxy']],
      ['grandstream', /^Grandstream/, ['SIP Server', 'Outbound Proxy', 'SIP User ID', 'Authenticate ID', 'Authenticate Password', 'SIP Transport']],
      ['polycom', /^Polycom/, ['Address', 'Authentication User ID', 'Authentication Password', 'Server address', 'Server port', 'Transport', 'Outbound proxy']],
      ['snom', /^Snom/, ['Account', 'Authentication user name', 'Password', 'Registrar', 'Outbound proxy']],
      ['softphone', /^Softphones/, ['Domain / Host', 'Username', 'Authentication user', 'Password', 'Transport', 'Port', 'Outbound proxy', 'Domain / realm']],
    ];
    for (const [value, title, fields] of expected) {
      await family.selectOption(value);
      await card.locator('caption').filter({ hasText: title }).waitFor();
      expect(await labels()).toEqual(fields);
    }

    // Yealink, by the DNS name: the values, and each copy button puts its own value on the clipboard.
    await family.selectOption('yealink');
    await card.locator('caption').filter({ hasText: /^Yealink/ }).waitFor();
    expect(await valueOf('SIP Server 1')).toBe('sip.office.lan');
    expect(await valueOf('Register Name')).toBe('581');
    expect(await valueOf('Port')).toBe(String(app.port));
    expect(await valueOf('Transport')).toBe('UDP');
    for (const [label, want] of [['SIP Server 1', 'sip.office.lan'], ['Register Name', '581'], ['User Name', '581'], ['Port', String(app.port)], ['Transport', 'UDP']]) {
      await card.getByRole('button', { name: `Copy ${label}`, exact: true }).click();
      await page.locator('#notice').filter({ hasText: `${label} copied` }).waitFor();
      expect(await clipboard()).toBe(want!);
    }
    // The password: masked until Show, copied in clear.
    expect(await card.locator('code.secret').textContent()).not.toContain(EXT_PW);
    await card.getByRole('button', { name: 'Copy Password', exact: true }).click();
    await page.locator('#notice').filter({ hasText: 'Password copied' }).waitFor();
    expect(await clipboard()).toBe(EXT_PW);
    await card.getByRole('button', { name: 'Show' }).click();
    expect(await card.locator('code.secret').textContent()).toBe(EXT_PW);

    // The address instead, over TCP: the values follow, and so does the copy.
    await server.selectOption(HOST);
    await card.getByLabel('Transport', { exact: true }).selectOption('tcp');
    await card.locator('code', { hasText: 'TCP' }).first().waitFor();
    expect(await valueOf('SIP Server 1')).toBe(HOST);
    await card.getByRole('button', { name: 'Copy SIP Server 1', exact: true }).click();
    await page.locator('#notice').filter({ hasText: 'SIP Server 1 copied' }).waitFor();
    expect(await clipboard()).toBe(HOST);
    await screenshot(page, 'phone-setup-card');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'phone-setup-card-phone');
    // Nothing wider than the phone's screen (the card's values and copy buttons used to push it to 457 px).
    const wide = await page.evaluate(() => Array.from(document.querySelectorAll('#phone-setup *'))
      .filter((el) => el.getBoundingClientRect().right > 390.5).map((el) => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 5));
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const b of await card.getByRole('button', { name: /^Copy / }).all()) expect(await b.isVisible()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 30_000);

  test('ladder: the time and the delay since the message before on every row; "Download as text" gives every message with its time offset', async () => {
    // A call that started a few seconds ago (an old one is not in progress), at .120 of a second.
    const t = Math.floor(Date.now() / 1000) * 1000 - 5000 + 120;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const clock = (ms: number) => {
      const d = new Date(t + ms);
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    };
    const callId = 'ladder-export-58';
    const caller = '127.1.58.21:5060';
    const callee = '127.1.58.22:5062';
    const entries: TraceEntry[] = [
      { ts: t, dir: 'in', peer: caller, label: 'INVITE' },
      { ts: t + 3, dir: 'out', peer: callee, label: 'INVITE' },
      { ts: t + 45, dir: 'in', peer: callee, label: '180 Ringing' },
      { ts: t + 46, dir: 'out', peer: caller, label: '180 Ringing' },
      { ts: t + 2546, dir: 'in', peer: callee, label: '200 OK' },
      { ts: t + 2547, dir: 'out', peer: caller, label: '200 OK' },
    ];
    view.traces.set(callId, entries);
    view.calls.apply(1, [{ kind: 'start', callId, tags: ['f58', 't58'], from: 'sip:581@office.lan', to: 'sip:582@office.lan', ts: t + 2547 }]);
    await page.getByRole('link', { name: 'Calls' }).click();
    await page.getByRole('button', { name: /^Show ladder of call from Reception \(581\) to 582/ }).click();
    const ladder = page.locator('.ladder');
    await ladder.locator('.ladder-label', { hasText: /^200 OK$/ }).first().waitFor();
    expect(await ladder.locator('.ladder-time').allTextContents()).toEqual([0, 3, 45, 46, 2546, 2547].map(clock));
    expect(await ladder.locator('.ladder-delta').allTextContents()).toEqual(['', '+3 ms', '+42 ms', '+1 ms', '+2.50 s', '+1 ms']);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as text' }).click()]);
    expect(download.suggestedFilename()).toBe(`ladder-${callId}.txt`);
    const lines = (await Bun.file((await download.path())!).text()).split('\n');
    expect(lines[0]).toBe(`Call ${callId}: Reception (581) -> 582 (trace)`);
    expect(lines.filter((l) => /^\s+\d+ {2}\d\d:\d\d/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      `1 ${clock(0)} 0 ms Reception (581) -> appliance INVITE [127.1.58.21:5060]`,
      `2 ${clock(3)} 3 ms appliance -> 582 INVITE [127.1.58.22:5062]`,
      `3 ${clock(45)} 45 ms 582 -> appliance 180 Ringing [127.1.58.22:5062]`,
      `4 ${clock(46)} 46 ms appliance -> Reception (581) 180 Ringing [127.1.58.21:5060]`,
      `5 ${clock(2546)} 2546 ms 582 -> appliance 200 OK [127.1.58.22:5062]`,
      `6 ${clock(2547)} 2547 ms appliance -> Reception (581) 200 OK [127.1.58.21:5060]`,
    ]);
    // A step stamped before the one above it (another worker's clock): a minus, not "+-".
    entries.push({ ts: t + 2079, dir: 'in', peer: caller, label: 'INFO' });
    await ladder.locator('.ladder-label', { hasText: /^INFO$/ }).waitFor({ timeout: 5000 });
    expect((await ladder.locator('.ladder-delta').allTextContents()).at(-1)).toBe('−468 ms');
    view.calls.apply(1, [{ kind: 'end', callId, tags: ['f58', 't58'], ts: Date.now() }]);
  }, 30_000);

  test('peers: a refused hand-off shows the server\'s reason, not a bare "Conflict"', async () => {
    const peer = (name: string, n: number) => ({ name, url: `https://192.0.2.${n}:8443`, sip: `192.0.2.${n}:5060`, state: 'up' as const, lastHeartbeatAt: Date.now(), role: 'normal' as const });
    view.peerList = [peer('b', 7), peer('c', 8)];
    await page.getByRole('link', { name: 'Peers' }).click();
    await page.getByRole('button', { name: 'Hand off to b' }).click();
    await page.getByRole('button', { name: 'Take traffic back from b' }).waitFor();
    // Already handed off to b: the hand-off to c is refused (409) with the reason.
    await page.getByRole('button', { name: 'Hand off to c' }).click();
    await page.locator('#notice').filter({ hasText: 'already handed off to b' }).waitFor();
    expect(await page.locator('#notice').textContent()).not.toMatch(/^\s*Conflict\s*$/);
    await page.getByRole('button', { name: 'Take traffic back from b' }).click();
    await page.getByRole('button', { name: 'Hand off to b' }).waitFor();
    view.peerList = [];
  }, 30_000);

  test('keyboard only: the skip link shown when focused, a menu entry by Tab and Enter moves focus to the page heading, a form sent with Enter, a refused field focused', async () => {
    await page.goto(`${web.url}/#/`);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const focused = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? `${el.tagName.toLowerCase()}:${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim()}` : '';
    });
    // The page opened with the focus on its heading; backwards from there, the first stop of the page is the skip link.
    for (let i = 0; i < 20 && (await focused()) !== 'a:Skip to content'; i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('a:Skip to content');
    // The skip link is visible once focused (not left off-screen).
    const skip = (await page.getByRole('link', { name: 'Skip to content' }).boundingBox())!;
    expect(skip.x).toBeGreaterThanOrEqual(0);
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await focused()) === 'a:DNS';
    }
    expect(found).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'DNS', level: 1 }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    expect(await page.title()).toStartWith('DNS ·');
    // The form by keyboard: type, Tab to the next field, Enter sends it.
    await page.getByLabel('Name', { exact: true }).focus();
    await page.keyboard.type('scanner');
    const label = () => page.evaluate(() => (document.activeElement as HTMLInputElement).labels?.[0]?.textContent);
    await page.keyboard.press('Tab');
    expect(await label()).toBe('Type');
    await page.keyboard.press('Tab');
    expect(await label()).toBe('Value');
    await page.keyboard.type('not-an-address');
    await page.keyboard.press('Enter');
    // Refused: the error is at its field, and the field has the focus to correct it.
    await page.getByRole('alert').first().waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('192.168.1.77');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Remove scanner.office.lan A' }).waitFor();
  }, 30_000);

  test('call history: "Download CSV" gives the records of the search shown, not all of them', async () => {
    const t = Date.now();
    const records = app.app.store.callRecords;
    records.open({ callId: 'csv-1', fromTag: 'a', toTag: 'b', from: 'sip:581@office.lan', to: 'sip:583@office.lan', routedTo: null,
      direction: 'internal', trunk: null, startedAt: t - 9000, answeredAt: t - 8000, endedAt: t - 2000, result: 200, reason: 'BYE', worker: 1 });
    records.open({ callId: 'csv-2', fromTag: 'c', from: 'sip:584@office.lan', to: 'sip:585@office.lan', routedTo: null,
      direction: 'internal', trunk: null, startedAt: t - 1000, endedAt: t - 900, result: 486, reason: '486 Busy Here', worker: 1 });
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('link', { name: 'Calls' }).click();
    const list = page.getByRole('table', { name: 'Call records, newest first' });
    await list.getByRole('cell', { name: '486 Busy Here' }).waitFor();
    await page.getByLabel('Extension').fill('581');
    await page.getByRole('button', { name: 'Search' }).click();
    await list.getByRole('cell', { name: '486 Busy Here' }).waitFor({ state: 'detached' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toEndWith('.csv');
    const csv = await Bun.file((await download.path())!).text();
    expect(csv).toContain('csv-1');
    expect(csv).not.toContain('csv-2');
    expect(csv.split(/\r?\n/).filter((l) => l.trim()).length).toBe(2); // header + the one record shown
  }, 30_000);
});
