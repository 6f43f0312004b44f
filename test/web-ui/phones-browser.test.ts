import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import type { RunningWebServer } from '../../appliance/web/server.ts';
import type { TestControlSection } from '../support/control-section.ts';
import { screenshot } from '../support/chromium.ts';
import { requireTool } from '../support/require-tool.ts';
import { startPhonesUi, type PhonesUi } from './support/admin-ui.ts';

/**
 * The admin UI over the real control section (one worker process, SIP on 127.0.241.1) with two
 * real baresip phones (127.0.241.10 and .11), in Debian's Chromium: the live extension list
 * (online with the phone's address and user agent, in call), names next to numbers on the
 * Calls page, a ladder opened during the call that follows it to the BYE, a message opened in
 * full with its Proxy-Authorization masked; the admin account: a password change (a weak one
 * refused at its field) and a logout in one tab that the other tab explains.
 */

const HOST = '127.0.241.1';
const DOMAIN = 'office.lan';
const ADMIN_PW = 'Phones-Admin-Pass-42';
const NEW_ADMIN_PW = 'Quartz lantern 5521 ferry';
const hasChromium = requireTool('chromium');
const hasBaresip = requireTool('baresip');

let ui: PhonesUi;
let cs: TestControlSection;
let web: RunningWebServer;
let page: Page;
const phone = (user: '201' | '202', ip: string) => ui.phone(user, ip);

const extRow = (n: string) => page.getByRole('table', { name: 'Extensions' }).getByRole('row').filter({ has: page.getByRole('cell', { name: n, exact: true }) });

describe.skipIf(!hasChromium || !hasBaresip)('admin UI with real phones in Chromium', () => {
  beforeAll(async () => {
    ui = await startPhonesUi(HOST, {
      extensions: { 201: { password: 'Reception-Pass-201', name: 'Reception' }, 202: { password: 'Sales-Desk-Pass-202', name: 'Sales' } },
      adminPassword: ADMIN_PW, control: 'min_workers = 1\nmax_workers = 1', toneSeconds: 30,
    });
    ({ cs, web, page } = ui);
  }, 40_000);
  afterAll(async () => {
    await ui?.stop();
  }, 30_000);

  test('phones show online with address and user agent, then "in call"; the ladder follows the call live; a message opens with its credentials masked', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    await extRow('201').getByText('offline', { exact: true }).waitFor();
    const a = await phone('201', '127.0.241.10');
    const b = await phone('202', '127.0.241.11');
    await extRow('201').getByText('online', { exact: true }).waitFor({ timeout: 5000 });
    await extRow('202').getByText('online', { exact: true }).waitFor({ timeout: 5000 });
    expect(await extRow('201').textContent()).toMatch(/127\.0\.241\.10:\d+ UDP · baresip/);
    await screenshot(page, 'extensions-phones');

    const b0 = b.log().length;
    a.send(`/dial sip:202@${DOMAIN}`);
    await b.waitFor(/Call established/, 8000, b0);
    await extRow('201').getByText('in call', { exact: true }).waitFor({ timeout: 5000 });
    expect(await extRow('201').textContent()).toContain('with Sales (202)');
    expect(await extRow('202').textContent()).toContain('with Reception (201)');

    await page.getByRole('link', { name: 'Calls' }).click();
    const active = page.getByRole('table', { name: 'Calls in progress' });
    await active.getByRole('cell', { name: 'Reception (201)', exact: true }).waitFor();
    await active.getByRole('cell', { name: 'Sales (202)', exact: true }).waitFor();
    await active.getByRole('button', { name: 'Show ladder of call from Reception (201) to Sales (202)' }).click();
    const ladder = page.locator('.ladder');
    await ladder.locator('.ladder-label', { hasText: /^200 / }).first().waitFor();
    const labels = await ladder.locator('.ladder-label').allTextContents();
    expect(labels.includes('BYE'), labels.join(' | ')).toBe(false);
    // The caller's second INVITE carries Proxy-Authorization (after the 407): open it in full.
    await ladder.getByRole('button', { name: /^4: INVITE from Reception \(201\) to appliance/ }).click();
    const message = page.locator('pre.sip-message');
    await message.waitFor();
    const text = (await message.textContent())!;
    expect(text).toStartWith('INVITE sip:202@office.lan');
    expect(text).toContain('Proxy-Authorization: Digest username="201", realm="office.lan", (credentials masked)');
    expect(text).not.toMatch(/response=|nonce=/);
    expect(text).toContain('m=audio');
    await screenshot(page, 'ladder-live');

    b.send('/hangup');
    await ladder.getByText('BYE', { exact: true }).first().waitFor({ timeout: 6000 });
    await page.locator('.ladder-card').getByText('The call is in progress').waitFor({ state: 'detached', timeout: 6000 });
    await screenshot(page, 'calls');
    await page.getByRole('link', { name: 'Extensions' }).click();
    await extRow('201').getByText('online', { exact: true }).waitFor({ timeout: 5000 });
  }, 60_000);

  test('the admin password is changed on the System page (a weak one refused at its field); a logout in one tab is explained in the other', async () => {
    const other = await page.context().newPage();
    await other.goto(`${web.url}/#/registrations`);
    await other.getByRole('heading', { name: 'Registrations' }).waitFor();

    await page.getByRole('link', { name: 'System' }).click();
    await page.getByLabel('Current password').fill(ADMIN_PW);
    await page.getByLabel('New password', { exact: true }).fill('password1234');
    await page.getByLabel('Repeat the new password').fill('password1234');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').first().waitFor();
    expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Current password').fill(ADMIN_PW);
    await page.getByLabel('New password', { exact: true }).fill(NEW_ADMIN_PW);
    await page.getByLabel('Repeat the new password').fill(NEW_ADMIN_PW);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#notice').filter({ hasText: 'Admin password changed' }).waitFor();
    // The other tab's session ended; it says why (it shares the cookie jar, so it carries on with the new session).
    await other.locator('#notice').filter({ hasText: 'The admin password was changed' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'system');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await other.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 5000 });
    await other.locator('#notice').filter({ hasText: 'logged out in another tab' }).waitFor();
    await screenshot(other, 'logged-out-other-tab');
    const events = cs.control.store.events.recent(20, 'admin.').map((e) => e.kind);
    expect(events).toContain('admin.password');
    expect(events).toContain('admin.logout');
    await other.close();
  }, 30_000);
});
