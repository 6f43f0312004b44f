import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { adminPage, sharedChromium, setUpAdmin } from '../support/chromium.ts';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { readBackupPassphrase } from '../../appliance/admin/backup-passphrase.ts';
import { scheduleBackups } from '../../appliance/control/backup-schedule.ts';
import { parseConfig } from '../../system/config/index.ts';
import { startWebFixture, type WebFixture } from '../appliance/web/support/web-fixture.ts';
import { requireTool } from '../support/require-tool.ts';

/**
 * The scheduled backups on the System page (issue 17) in Debian's Chromium over a real web
 * server, store and backup job (every second, stopped after its first file): listed, downloaded,
 * restored with the configured passphrase. Screenshot in test-artifacts/web-ui/.
 */
const ADMIN_PW = 'Browser-Admin-Pass-1';
const PASSPHRASE = 'harbour violet sleet 9031 kiln';
const SHOTS = resolve(import.meta.dir, '../../test-artifacts/web-ui');
const hasChromium = requireTool('chromium');
const DIR = mkdtempSync(join(tmpdir(), 'web-backups-ui-'));

let fx: WebFixture;
let page: Page;

describe.skipIf(!hasChromium)('scheduled backups in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(DIR, 'backup.pass'), `${PASSPHRASE}\n`, { mode: 0o600 });
    fx = await startWebFixture({
      dataDir: join(DIR, 'data'),
      config: parseConfig(`data_dir = "${join(DIR, 'data')}"\n[sip]\nlisten = "127.0.0.1"\nport = 5060\ndomain = "office.lan"\n[web]\nlisten = "127.0.0.1"\nport = 0\n`
        + `[backups]\nschedule = "* * * * * *"\nretention = 3\npassphrase_file = "${join(DIR, 'backup.pass')}"\n`, 'test'),
    });
    new ExtensionService(fx.store, 'office.lan', []).add({ number: '201', password: 'Phone-Secret-201', displayName: 'Reception' });
    const job = scheduleBackups(fx.config, fx.store, readBackupPassphrase(fx.config), (e) => { throw e; })!;
    for (let i = 0; i < 150 && fx.store.events.recent(10, 'backup.scheduled').length === 0; i++) await Bun.sleep(100);
    job.stop();
    while (job.running) await Bun.sleep(50);
    page = await adminPage(await sharedChromium());
    await setUpAdmin(page, fx.web.url, fx.web.setupToken!, ADMIN_PW);
  }, 40_000);
  afterAll(async () => {
    await page?.context().close();
    await fx?.stop();
    rmSync(DIR, { recursive: true, force: true });
  }, 20_000);

  test('listed on the System page, downloaded, and restored with the configured passphrase', async () => {
    const stored = await (await fx.fetch(`${fx.web.url}/api/system/backups`)).status;
    expect(stored).toBe(401); // the page's session is the browser's, not this fetch's
    const names = fx.store.events.recent(10, 'backup.scheduled').map((e) => String(e.details.name));
    expect(names).toHaveLength(1);
    await page.getByRole('link', { name: 'System' }).click();
    const section = page.locator('#scheduled-backups');
    await section.getByText('"* * * * * *"').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: `Download ${names[0]}` }).click()]);
    expect(download.suggestedFilename()).toBe(names[0]);

    fx.store.extensions.remove('201');
    await section.getByRole('button', { name: `Restore ${names[0]}` }).click();
    await page.locator('#notice').filter({ hasText: 'Restored: 1 extensions, 0 DNS records.' }).waitFor();
    expect(fx.store.extensions.get('201')?.displayName).toBe('Reception');
    await page.screenshot({ path: `${SHOTS}/system-scheduled-backups.png`, fullPage: true });
  }, 30_000);
});
