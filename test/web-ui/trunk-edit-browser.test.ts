import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Page } from 'playwright-core';
import { OutsideLineService } from '../../appliance/admin/outside-line-service.ts';
import { startWebServer, type RunningWebServer } from '../../appliance/web/server.ts';
import { adminPage, screenshot, setUpAdmin, sharedChromium } from '../support/chromium.ts';
import { startTestControlSection, type TestControlSection } from '../support/control-section.ts';
import { kamailioBinary, startKamailioProvider, type KamailioProvider } from '../support/kamailio-provider.ts';
import { requireTool } from '../support/require-tool.ts';
import { freePort } from '../support/sipp.ts';

/**
 * A trunk edited in place on the Trunks page (issue 14), in Debian's Chromium: a trunk added
 * here with a wrong password is refused by a real provider (Kamailio on 127.1.14.52, 403
 * "Wrong password"); the admin opens Edit, types the right password and a caller ID, saves,
 * and sees the trunk registered at the next poll; the password is never on the page.
 */
const HAVE = requireTool('chromium') && requireTool('kamailio') && kamailioBinary() !== undefined;
const HOST = '127.1.14.51';
const PROVIDER = '127.1.14.52';
const ADMIN_PW = 'Browser-Admin-Pass-14';
const TRUNK_PW = 'Trunk-Pass-Edit-1';
const WRONG_PW = 'Not-The-Trunk-Pass';

let provider: KamailioProvider;
let cs: TestControlSection;
let web: RunningWebServer;
let page: Page;
let providerPort = 0;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(50);
}
const state = () => cs.control.view.trunks().find((t) => t.name === 'office')?.state;

describe.skipIf(!HAVE)('a trunk edited in place on the Trunks page, Chromium, a real provider', () => {
  beforeAll(async () => {
    providerPort = await freePort(PROVIDER);
    provider = await startKamailioProvider({ address: PROVIDER, port: providerPort, domain: 'provider.example', username: '5551230000', password: TRUNK_PW, probeAddress: '127.1.14.59' });
    cs = await startTestControlSection(HOST);
    // Added here (the store), as the add form would, with the wrong password.
    new OutsideLineService(cs.control.store, cs.config).addTrunk({ name: 'office', registrar: `${PROVIDER}:${providerPort}`, username: '5551230000', password: WRONG_PW, domain: 'provider.example' });
    cs.control.view.storeChanged();
    await until(() => state() === 'failed');
    web = await startWebServer({ config: cs.config, store: cs.control.store, view: cs.control.view });
    page = await adminPage(await sharedChromium());
    await setUpAdmin(page, web.url, web.setupToken!, ADMIN_PW);
  }, 40_000);
  afterAll(async () => {
    await page?.context().close();
    await web?.stop();
    await cs?.stop();
    await provider?.stop();
  }, 30_000);

  test('failed with the provider\'s reason; Edit, the right password, Save: registered at the next poll; no password on the page', async () => {
    expect(state()).toBe('failed');
    await page.goto(`${web.url}/#/trunks`);
    const row = page.getByRole('row').filter({ hasText: 'office' });
    await row.getByText('403 Wrong password').waitFor();
    // The row's buttons are in sight, not cut off at the table's right edge (a 1280 px wide window).
    const edit = page.getByRole('button', { name: 'Edit trunk office' });
    const wrap = (await page.locator('.table-wrap').filter({ has: edit }).boundingBox())!;
    for (const button of [edit, page.getByRole('button', { name: 'Remove trunk office' })]) {
      const box = (await button.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(wrap.x + wrap.width);
    }
    await edit.click();
    const form = page.getByRole('form', { name: 'Edit trunk office' });
    expect(await form.getByLabel('Registrar').inputValue()).toBe(`${PROVIDER}:${providerPort}`);
    expect(await form.getByLabel('New password').inputValue()).toBe('');
    // A refused value first: the API's error is shown at its field, nothing saved.
    await form.getByLabel('Caller ID').fill('not a number!');
    await form.getByRole('button', { name: 'Save trunk' }).click();
    await form.getByRole('alert').filter({ hasText: 'caller_id' }).waitFor();
    expect(await form.getByLabel('Caller ID').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Caller ID').fill('+15551230000');
    await form.getByLabel('New password').fill(TRUNK_PW);
    const saved = Date.now();
    await form.getByRole('button', { name: 'Save trunk' }).click();
    await row.locator('.badge.up').waitFor({ timeout: 15_000 });
    console.log(`trunk edited in the page: registered again, shown up ${Date.now() - saved} ms after Save`);
    expect(state()).toBe('up');
    await row.getByText('+15551230000').waitFor();
    expect(await provider.waitForLog(/provider: registered sip:5551230000@provider\.example/)).toBe(true);
    const html = await page.content();
    expect(html).not.toContain(TRUNK_PW);
    expect(html).not.toContain(WRONG_PW);
    expect(cs.control.store.secrets.get('trunk:office')).toBe(TRUNK_PW);
    await screenshot(page, 'trunk-edited');
  }, 40_000);
});
