import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { adminPage, sharedChromium, setUpAdmin } from '../support/chromium.ts';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { parseConfig } from '../../system/config/index.ts';
import { startWebFixture, type WebFixture } from '../appliance/web/support/web-fixture.ts';
import { requireTool } from '../support/require-tool.ts';

/**
 * The Trunks page and the extension permissions (issue 14) in Debian's Chromium
 * (playwright-core), over a real web server and store with trunks, routes and inbound numbers
 * in its TOML config; the trunk states come from the view as the registering worker reports
 * them. Screenshots go to test-artifacts/web-ui/.
 */
const ADMIN_PW = 'Browser-Admin-Pass-1';
const TRUNK_PW = 'Trunk-Secret-Pass-9';
const SHOTS = resolve(import.meta.dir, '../../test-artifacts/web-ui');
const hasChromium = requireTool('chromium');

const DATA_DIR = mkdtempSync(join(tmpdir(), 'web-trunks-ui-'));
let fx: WebFixture;
let page: Page;
const dialogs: string[] = [];

const config = (dir: string) => parseConfig(`data_dir = "${dir}"
[sip]
listen = "127.0.0.1"
port = 5060
domain = "office.lan"
[web]
listen = "127.0.0.1"
port = 0
[[trunks]]
name = "provider"
registrar = "sip.provider.example"
username = "5551230000"
password = "${TRUNK_PW}"
caller_id = "+15551230000"
[[trunks]]
name = "backup"
registrar = "192.0.2.20:5070"
username = "office-backup"
password = "${TRUNK_PW}"
[[trunks]]
name = "gateway"
registrar = "192.0.2.10"
username = "office"
register = false
[[routes]]
name = "national"
pattern = "^9(1[2-9][0-9]{9})$"
replace = "+$1"
trunk = "provider"
class = "national"
failover = "backup"
[[routes]]
name = "international"
pattern = "^9011([0-9]{6,15})$"
replace = "+$1"
trunk = "provider"
class = "international"
[[inbound]]
did = "+15551230100"
trunk = "provider"
to = "201"
[[inbound]]
did = "*"
trunk = "gateway"
to = "201"
[emergency]
numbers = ["911", "112"]
trunk = "provider"
`, 'test');

describe.skipIf(!hasChromium)('Trunks page and extension permissions in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fx = await startWebFixture({ config: config(DATA_DIR), dataDir: DATA_DIR });
    new ExtensionService(fx.store, fx.config.sip.domain, fx.config.emergency.numbers).add({ number: '201', password: 'Phone-Secret-201', displayName: 'Reception' });
    page = await adminPage(await sharedChromium(), dialogs);
    await setUpAdmin(page, fx.web.url, fx.web.setupToken!, ADMIN_PW);
  }, 30_000);
  afterAll(async () => {
    await page?.context().close();
    await fx?.stop();
    rmSync(DATA_DIR, { recursive: true, force: true });
  }, 20_000);

  test('trunk states with the provider\'s reason, expiry and retry; the config file\'s dial plan fixed; a state change shows without a reload', async () => {
    const now = Date.now();
    fx.view.trunkList = [
      { name: 'provider', state: 'up', reason: undefined, registrar: 'sip.provider.example', expiresAt: now + 1800_000, retryAt: undefined },
      { name: 'backup', state: 'failed', reason: '403 Wrong password', registrar: '192.0.2.20:5070', expiresAt: undefined, retryAt: now + 60_000 },
      { name: 'gateway', state: 'static', reason: undefined, registrar: '192.0.2.10', expiresAt: undefined, retryAt: undefined },
    ];
    await page.getByRole('link', { name: 'Trunks' }).click();
    await page.getByRole('heading', { name: 'Trunks', level: 1 }).waitFor();
    const trunks = page.getByRole('table', { name: 'Trunk registration' });
    const row = (name: string) => trunks.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await row('provider').getByText('up', { exact: true }).waitFor();
    expect(await row('provider').textContent()).toMatch(/expires in 29 min \d+ s|expires in 30 min 0 s/);
    expect(await row('backup').textContent()).toContain('failed 403 Wrong password');
    expect(await row('backup').textContent()).toMatch(/next attempt in (1 min 0 s|5\d s)/);
    expect(await row('gateway').textContent()).toContain('static');
    expect(await row('provider').textContent()).toContain('5551230000@sip.provider.example');
    expect(await row('backup').textContent()).toContain('192.0.2.20:5070 (UDP)');

    const routes = page.getByRole('table', { name: 'Outbound routes, first match wins' });
    expect(await routes.getByRole('row').allTextContents()).toEqual([
      '#RouteDialled patternProvider receivesTrunkClassFail-overFrom',
      '1national^9(1[2-9][0-9]{9})$+$1providernationalbackupfrom config',
      '2international^9011([0-9]{6,15})$+$1providerinternationalfrom config',
    ]);
    const inbound = page.getByRole('table', { name: 'Inbound numbers' });
    await inbound.getByRole('cell', { name: '+15551230100' }).waitFor();
    await inbound.getByRole('cell', { name: 'any number (*)' }).waitFor();
    const emergency = page.getByRole('table', { name: /Emergency numbers/ });
    expect(await emergency.getByRole('row').allTextContents()).toEqual(['NumberTrunk', '911provider', '112provider']);
    await page.getByText('set in the configuration file').waitFor();
    expect(await page.content()).not.toContain(TRUNK_PW);

    // The provider goes away: the page shows it at its next poll, without a reload; a reason
    // phrase from the provider is text, never markup.
    const url = page.url();
    const evil = '<img src=x onerror=alert(1)>';
    fx.view.trunkList = [{ ...fx.view.trunkList[0], state: 'failed', reason: `503 ${evil}`, expiresAt: undefined, retryAt: Date.now() + 30_000 }, ...fx.view.trunkList.slice(1)];
    await row('provider').getByText(`failed 503 ${evil}`).waitFor({ timeout: 8000 });
    expect(page.url()).toBe(url);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    fx.view.trunkList = [{ ...fx.view.trunkList[0], state: 'up', reason: undefined, expiresAt: Date.now() + 1800_000, retryAt: undefined }, ...fx.view.trunkList.slice(1)];
    await row('provider').getByText('up', { exact: true }).waitFor({ timeout: 8000 });
    await page.screenshot({ path: `${SHOTS}/trunks.png`, fullPage: true });
  }, 30_000);

  test('a trunk, a route and an inbound number added in the page; errors at their fields; hostile names refused; removed again', async () => {
    await page.getByRole('link', { name: 'Trunks' }).click();
    const addTrunk = page.getByRole('form', { name: 'Add trunk' });
    await addTrunk.waitFor();
    const at = (form: typeof addTrunk, label: string) => form.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });
    await addTrunk.getByLabel('Name', { exact: true }).fill('<b>x</b>');
    await addTrunk.getByLabel('Registrar', { exact: true }).fill('192.0.2.40:5070');
    await addTrunk.getByLabel('User name', { exact: true }).fill('office2');
    await addTrunk.getByLabel('Password', { exact: true }).fill('Second-Trunk-Pass-4');
    await addTrunk.getByRole('button', { name: 'Add trunk' }).click();
    await at(addTrunk, 'Name').getByRole('alert').filter({ hasText: 'is not a name of letters, digits' }).waitFor();
    expect(await page.locator('main b').count()).toBe(0);
    await addTrunk.getByLabel('Name', { exact: true }).fill('second');
    await addTrunk.getByLabel('Caller ID', { exact: true }).fill('+15550002222');
    await addTrunk.getByRole('button', { name: 'Add trunk' }).click();
    await page.getByText('Trunk added').waitFor();
    expect(fx.store.secrets.get('trunk:second')).toBe('Second-Trunk-Pass-4');
    // The registering worker reports it (the fixture's view stands in for the control section).
    fx.view.trunkList = [...fx.view.trunkList, { name: 'second', state: 'registering', reason: undefined, registrar: '192.0.2.40:5070', expiresAt: undefined, retryAt: undefined }];
    const trunks = page.getByRole('table', { name: 'Trunk registration' });
    const row = trunks.getByRole('row').filter({ has: page.getByRole('cell', { name: 'second', exact: true }) });
    await row.getByText('added here').waitFor({ timeout: 8000 });
    expect(await row.textContent()).toContain('office2@192.0.2.40');
    expect(await page.content()).not.toContain('Second-Trunk-Pass-4');

    const addRoute = page.getByRole('form', { name: 'Add route' });
    await addRoute.getByLabel('Name', { exact: true }).fill('mobile');
    await addRoute.getByLabel('Dialled pattern', { exact: true }).fill('^(9+)+$');
    await addRoute.getByLabel('Trunk', { exact: true }).selectOption('second');
    await addRoute.getByRole('button', { name: 'Add route' }).click();
    await at(addRoute, 'Dialled pattern').getByRole('alert').filter({ hasText: 'catastrophic backtracking' }).waitFor();
    await addRoute.getByLabel('Dialled pattern', { exact: true }).fill('^8([0-9]{10})$');
    await addRoute.getByLabel('Provider receives', { exact: true }).fill('+$1');
    await addRoute.getByLabel('Fail-over trunks', { exact: true }).fill('provider');
    await addRoute.getByRole('button', { name: 'Add route' }).click();
    const routes = page.getByRole('table', { name: 'Outbound routes, first match wins' });
    await routes.getByRole('cell', { name: 'mobile', exact: true }).waitFor();
    expect(await routes.getByRole('row').last().textContent()).toBe('3mobile^8([0-9]{10})$+$1secondnationalprovideradded hereEditRemove');
    // Changed in place: the form comes back filled in, a refused value shows at its field.
    await page.getByRole('button', { name: 'Edit route mobile' }).click();
    const edit = page.getByRole('form', { name: 'Edit route mobile' });
    expect(await edit.getByLabel('Dialled pattern', { exact: true }).inputValue()).toBe('^8([0-9]{10})$');
    await edit.getByLabel('Dialled pattern', { exact: true }).fill('^8(');
    await edit.getByRole('button', { name: 'Save route' }).click();
    await at(edit, 'Dialled pattern').getByRole('alert').filter({ hasText: 'not a valid regular expression' }).waitFor();
    await edit.getByLabel('Dialled pattern', { exact: true }).fill('^8([0-9]{11})$');
    await edit.getByLabel('Class', { exact: true }).selectOption('international');
    await edit.getByRole('button', { name: 'Save route' }).click();
    await routes.getByRole('cell', { name: '^8([0-9]{11})$' }).waitFor();
    expect(await routes.getByRole('row').last().textContent()).toBe('3mobile^8([0-9]{11})$+$1secondinternationalprovideradded hereEditRemove');

    const addInbound = page.getByRole('form', { name: 'Add inbound number' });
    await addInbound.getByLabel('Number', { exact: true }).fill('+15550002299');
    await addInbound.getByLabel('Trunk', { exact: true }).selectOption('second');
    await addInbound.getByLabel('Rings', { exact: true }).fill('299');
    await addInbound.getByRole('button', { name: 'Add number' }).click();
    await at(addInbound, 'Rings').getByRole('alert').filter({ hasText: 'not an extension or a ring group' }).waitFor();
    await addInbound.getByLabel('Rings', { exact: true }).fill('201');
    await addInbound.getByRole('button', { name: 'Add number' }).click();
    await page.getByRole('table', { name: 'Inbound numbers' }).getByRole('cell', { name: '+15550002299', exact: true }).waitFor();
    await page.screenshot({ path: `${SHOTS}/trunks-edit.png`, fullPage: true });

    await page.getByRole('button', { name: 'Remove trunk second' }).click();
    await page.getByText(/trunk second is used by route mobile, inbound number \+15550002299/).waitFor();
    await page.getByRole('button', { name: 'Remove route mobile' }).click();
    await routes.getByRole('cell', { name: 'mobile', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Remove inbound number +15550002299' }).click();
    await page.getByRole('button', { name: 'Remove trunk second' }).click();
    await page.getByText('Trunk second removed').waitFor();
    expect(fx.store.outsideLine.list()).toEqual([]);
    expect(fx.store.secrets.has('trunk:second')).toBe(false);
    fx.view.trunkList = fx.view.trunkList.filter((t) => t.name !== 'second');
  }, 40_000);

  test('an extension\'s call class and limits are edited on the Extensions page; a bad value is shown next to its field', async () => {
    await page.getByRole('link', { name: 'Extensions' }).click();
    await page.getByRole('cell', { name: 'national, 2 at once, 30/h' }).waitFor();
    await page.getByRole('button', { name: 'Edit extension 201' }).click();
    expect(await page.getByLabel('Call class').inputValue()).toBe('national');
    await page.getByLabel('Call class').selectOption('international');
    await page.getByLabel('Outside calls at once').fill('lots');
    await page.getByRole('button', { name: 'Save' }).click();
    const next = (label: string) => page.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });
    await next('Outside calls at once').getByRole('alert').filter({ hasText: 'maxOutsideCalls must be a whole number' }).waitFor();
    expect(await page.getByLabel('Outside calls at once').getAttribute('aria-invalid')).toBe('true');
    expect(fx.store.extensions.get('201')?.callClass).toBe('national');

    await page.getByLabel('Outside calls at once').fill('4');
    await page.getByLabel('Outbound caller ID').fill('+1 555 bad');
    await page.getByRole('button', { name: 'Save' }).click();
    await next('Outbound caller ID').getByRole('alert').filter({ hasText: 'outbound caller ID must be' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(1);
    await page.screenshot({ path: `${SHOTS}/extension-permissions-error.png`, fullPage: true });
    expect(await page.getByLabel('Outside calls at once').getAttribute('aria-invalid')).toBeNull();

    await page.getByLabel('Outbound caller ID').fill('+15551230201');
    await page.getByLabel('Outside calls per hour').fill('12');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'international, 4 at once, 12/h, as +15551230201' }).waitFor();
    expect(fx.store.extensions.get('201')).toMatchObject({ callClass: 'international', maxOutsideCalls: 4, outsideCallsPerHour: 12, outboundCallerId: '+15551230201' });
    await page.getByRole('button', { name: 'Edit extension 201' }).click();
    expect(await page.getByLabel('Call class').inputValue()).toBe('international');
    await page.screenshot({ path: `${SHOTS}/extension-permissions.png`, fullPage: true });
  }, 30_000);
});
