import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import type { BaresipPhone } from '../support/baresip.ts';
import type { TestControlSection } from '../support/control-section.ts';
import { screenshot } from '../support/chromium.ts';
import { requireTool } from '../support/require-tool.ts';
import { startPhonesUi, type PhonesUi } from './support/admin-ui.ts';

/**
 * Hang-up from the Calls page in Debian's Chromium (docs/API.md "Hang-up"): two real baresip
 * phones in a call through the appliance with two workers; the admin clicks Hang up, confirms,
 * and both phones end the call on the appliance's BYE; the page says how they answered, the
 * call leaves the list and its record says "hung up by the admin".
 */

const HOST = '127.1.48.50';
const DOMAIN = 'office.lan';
const hasChromium = requireTool('chromium');
const hasBaresip = requireTool('baresip');

let ui: PhonesUi;
let cs: TestControlSection;
let page: Page;
let phones: readonly BaresipPhone[];
const dialogs: string[] = [];
const phone = (user: '201' | '202', ip: string) => ui.phone(user, ip);

describe.skipIf(!hasChromium || !hasBaresip)('hang-up from the Calls page, real phones, Chromium', () => {
  beforeAll(async () => {
    ui = await startPhonesUi(HOST, {
      extensions: { 201: { password: 'Reception-Pass-201', name: 'Reception' }, 202: { password: 'Sales-Desk-Pass-202', name: 'Sales' } },
      adminPassword: 'Hangup-Browser-Pass-7', toneSeconds: 60, dialogs,
    });
    ({ cs, page, phones } = ui);
  }, 40_000);
  afterAll(async () => {
    await ui?.stop();
  }, 30_000);

  test('the admin hangs up a call: confirmed, both phones get a BYE, the call leaves the list', async () => {
    const a = await phone('201', '127.1.48.60');
    const b = await phone('202', '127.1.48.61');
    const a0 = a.log().length;
    const b0 = b.log().length;
    a.send(`/dial sip:202@${DOMAIN}`);
    await b.waitFor(/Call established/, 8000, b0);
    await page.getByRole('link', { name: 'Calls' }).click();
    const active = page.getByRole('table', { name: 'Calls in progress' });
    const button = active.getByRole('button', { name: 'Hang up the call from Reception (201) to Sales (202)' });
    await button.waitFor();
    await screenshot(page, 'calls-hangup-button');
    // Phone size: each call is a card, its Hang up button a full-size target.
    await page.setViewportSize({ width: 390, height: 844 });
    await button.scrollIntoViewIfNeeded();
    const box = (await button.boundingBox())!;
    expect(box.width).toBeGreaterThan(40);
    expect(box.height).toBeGreaterThanOrEqual(24);
    await screenshot(page, 'calls-hangup-button-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    // A ladder open during the call follows the hang-up: the appliance's two BYEs, one to each phone.
    await active.getByRole('button', { name: 'Show ladder of call from Reception (201) to Sales (202)' }).click();
    const ladder = page.locator('.ladder');
    await ladder.locator('.ladder-label', { hasText: /^200 / }).first().waitFor();

    await button.click();
    await page.locator('#notice').filter({ hasText: 'Hung up the call from Reception (201) to Sales (202) (both phones answered 200)' }).waitFor({ timeout: 8000 });
    expect(dialogs).toContain('Hang up the call from Reception (201) to Sales (202)? Both phones are sent a BYE.');
    // Both phones ended the call on the appliance's BYE, neither hung up itself: baresip says a
    // BYE came in as "session closed: Connection reset by peer" (its sipsess close handler's ECONNRESET).
    await a.waitFor(/session closed: Connection reset by peer/, 5000, a0);
    await b.waitFor(/session closed: Connection reset by peer/, 5000, b0);
    await active.getByText('no call in progress').waitFor({ timeout: 5000 });
    await ladder.getByRole('button', { name: /BYE from appliance to Reception \(201\)/ }).waitFor({ timeout: 6000 });
    await ladder.getByRole('button', { name: /BYE from appliance to Sales \(202\)/ }).waitFor({ timeout: 6000 });
    await page.locator('.ladder-card').getByText('The call is in progress').waitFor({ state: 'detached', timeout: 6000 });
    // The call record follows without a reload.
    await page.getByRole('table', { name: 'Call records, newest first' }).getByRole('cell', { name: 'answered, hung up by the admin' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'calls-hung-up');
    const rec = cs.control.store.callRecords.byCallId(cs.control.calls.recentCalls(1)[0].callId);
    expect(rec?.reason).toBe('hung up by the admin');
    expect(cs.control.store.events.recent(10, 'admin.hangup')[0]?.message).toMatch(/Reception|201/);
  }, 60_000);

  test('a hang-up the admin cancels at the confirmation sends nothing', async () => {
    const a = phones[0];
    const b = phones[1];
    const b0 = b.log().length;
    a.send(`/dial sip:202@${DOMAIN}`);
    await b.waitFor(/Call established/, 8000, b0);
    const active = page.getByRole('table', { name: 'Calls in progress' });
    const button = active.getByRole('button', { name: 'Hang up the call from Reception (201) to Sales (202)' });
    await button.waitFor();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/hangup')) posts.push(r.url());
    });
    page.removeAllListeners('dialog');
    const dismissed = new Promise<void>((done) => page.once('dialog', (d) => void d.dismiss().then(done)));
    await button.click();
    await dismissed;
    // The click handler returns right after the refused confirm(); one round trip into the page passes that task.
    await page.evaluate(() => 0);
    expect(posts).toEqual([]);
    expect(cs.control.view.activeCalls()).toHaveLength(1);
    expect(b.log().slice(b0)).not.toMatch(/session closed|terminated/);
    a.send('/hangup');
    await active.getByText('no call in progress').waitFor({ timeout: 5000 });
  }, 30_000);
});
