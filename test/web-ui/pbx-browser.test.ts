import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { adminPage, sharedChromium, setUpAdmin } from '../support/chromium.ts';
import { ExtensionService } from '../../appliance/admin/extension-service.ts';
import { parseConfig } from '../../system/config/index.ts';
import type { BindingRecord } from '../../system/store/index.ts';
import { startWebFixture, type WebFixture } from '../appliance/web/support/web-fixture.ts';
import { requireTool } from '../support/require-tool.ts';

/**
 * The PBX pages (issue 15) in Debian's Chromium (playwright-core) over a real web server and
 * store: ring groups (add, member order, edit, remove, a refused member), forwarding and DND
 * per extension with the feature codes and the voicemail server, and the receptionist's lamp
 * console following registrations and calls live. Screenshots go to test-artifacts/web-ui/.
 */
const ADMIN_PW = 'Browser-Admin-Pass-1';
const SHOTS = resolve(import.meta.dir, '../../test-artifacts/web-ui');
const hasChromium = requireTool('chromium');
const DATA_DIR = mkdtempSync(join(tmpdir(), 'web-pbx-ui-'));
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

let fx: WebFixture;
let page: Page;
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

function binding(ext: string, address: string, userAgent = 'Desk Phone 2.1'): BindingRecord {
  const now = Date.now();
  return {
    aor: `sip:${ext}@office.lan`, contact: `sip:${ext}@${address}:5060`, expiresAt: now + 3600_000, q: 1, callId: `c-${ext}`, cseq: 1,
    source: `udp:${address}:5060`, transport: 'udp', userAgent, version: 1, updatedAt: now,
  } as BindingRecord;
}

describe.skipIf(!hasChromium)('PBX pages in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    fx = await startWebFixture({
      dataDir: DATA_DIR,
      config: parseConfig(`data_dir = "${DATA_DIR}"\n[sip]\nlisten = "127.0.0.1"\nport = 5060\ndomain = "office.lan"\n[web]\nlisten = "127.0.0.1"\nport = 0\n[voicemail]\nuri = "sip:vm@192.0.2.5:5070"\nno_answer_seconds = 25\n`, 'test'),
    });
    const ext = new ExtensionService(fx.store, 'office.lan', []);
    ext.add({ number: '201', password: 'Phone-Secret-201', displayName: 'Reception' });
    ext.add({ number: '202', password: 'Phone-Secret-202', displayName: 'Sales' });
    ext.add({ number: '203', password: 'Phone-Secret-203', displayName: HOSTILE });
    ext.add({ number: '204', password: 'Phone-Secret-204' });
    page = await adminPage(await sharedChromium());
    await setUpAdmin(page, fx.web.url, fx.web.setupToken!, ADMIN_PW);
  }, 30_000);
  afterAll(async () => {
    await page?.context().close();
    await fx?.stop();
    rmSync(DATA_DIR, { recursive: true, force: true });
  }, 20_000);

  test('groups: add a hunt group, a refused member names the field, reorder members, set a fallback, remove', async () => {
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Ring groups', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add group' }).click();
    const form = page.getByRole('form', { name: 'New ring group' });
    await form.getByLabel('Number').fill('600');
    await form.getByLabel('Name').fill('Front desk');
    await form.getByLabel('Strategy').selectOption('hunt');
    await form.getByLabel('Members').fill('201, 202, 299');
    await form.getByRole('button', { name: 'Add group' }).click();
    // 299 is no extension: the service's message, next to the members field; nothing stored.
    await form.locator('.form-error').waitFor();
    expect(await form.locator('.form-error').textContent()).toContain('299');
    expect(fx.store.ringGroups.get('600')).toBeUndefined();
    await form.getByLabel('Members').fill('201, 202, 203');
    await form.getByRole('button', { name: 'Add group' }).click();
    const groups = page.getByRole('table', { name: 'Ring groups' });
    await groups.getByRole('cell', { name: '600', exact: true }).waitFor();
    expect(fx.store.ringGroups.get('600')).toMatchObject({ members: ['201', '202', '203'], callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30 });
    // Member order: 203 moves up once, the hunt order in the store follows.
    await page.getByRole('button', { name: 'Move 203 up in group 600' }).click();
    await page.waitForFunction(() => document.querySelector('ol.members')?.textContent?.indexOf('(203)')! < document.querySelector('ol.members')!.textContent!.indexOf('Sales'));
    expect(fx.store.ringGroups.get('600')?.members).toEqual(['201', '203', '202']);
    await page.getByRole('button', { name: 'Edit group 600' }).click();
    const edit = page.getByRole('form', { name: 'Edit group 600' });
    await edit.getByLabel('Fallback').fill('204');
    await edit.getByRole('button', { name: 'Save group' }).click();
    await groups.getByRole('cell', { name: '204', exact: true }).waitFor();
    expect(fx.store.ringGroups.get('600')?.fallback).toBe('204');
    // The hostile display name is text, not markup.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await groups.textContent()).toContain(`${fx.store.extensions.get('203')!.displayName} (203)`);
    expect(await groups.locator('img').count()).toBe(0);
    await shot('pbx-groups');
    await page.getByRole('button', { name: 'Add group' }).click();
    const second = page.getByRole('form', { name: 'New ring group' });
    await second.getByLabel('Number').fill('610');
    await second.getByLabel('Members').fill('204');
    await second.getByRole('button', { name: 'Add group' }).click();
    await groups.getByRole('cell', { name: '610', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove group 610' }).click();
    await page.getByText('Group 610 removed').waitFor();
    expect(fx.store.ringGroups.get('610')).toBeUndefined();
  }, 30_000);

  test('forwarding: DND and forwards saved per extension, a bad target refused, the feature codes and voicemail listed', async () => {
    await page.getByRole('link', { name: 'Forwarding' }).click();
    await page.getByRole('heading', { name: 'Forwarding and do-not-disturb' }).waitFor();
    await page.getByLabel('Do not disturb 202').check();
    await page.getByRole('button', { name: 'Save forwarding of 202' }).click();
    await page.getByText('Extension 202 saved').waitFor();
    expect(fx.store.callFeatures.get('202').dnd).toBe(true);
    await page.getByLabel('Forward always of 201').fill('600');
    await page.getByRole('button', { name: 'Save forwarding of 201' }).click();
    await page.getByText('Extension 201 saved').waitFor();
    await page.getByLabel('Forward on no answer of 204').fill('201');
    await page.getByLabel('No-answer time of 204 (s)').fill('30');
    await page.getByRole('button', { name: 'Save forwarding of 204' }).click();
    await page.getByText('Extension 204 saved').waitFor();
    expect(fx.store.callFeatures.get('201').forwardAlways).toBe('600');
    expect(fx.store.callFeatures.get('204')).toMatchObject({ forwardNoAnswer: '201', noAnswerSeconds: 30 });
    // 204's own voicemail server (issue 15), saved through the page (its refusals: ring-groups-api.test.ts).
    await page.getByLabel('Own voicemail server of 204').fill('sip:vm204@192.0.2.60:5070');
    await page.getByRole('button', { name: 'Save forwarding of 204' }).click();
    await page.getByText('Extension 204 saved').waitFor();
    expect(fx.store.callFeatures.get('204').voicemailUri).toBe('sip:vm204@192.0.2.60:5070');
    await page.getByLabel('Forward on busy of 203').fill('203');
    await page.getByRole('button', { name: 'Save forwarding of 203' }).click();
    await page.locator('.notice.error').waitFor();
    expect(await page.locator('.notice.error').textContent()).toContain('cannot forward to itself');
    expect(fx.store.callFeatures.get('203').forwardBusy).toBeNull();
    const codes = page.getByRole('table', { name: /Dialled from a phone/ });
    expect(await codes.getByRole('row').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('*72<number>'), expect.stringContaining('*79do-not-disturb off')]));
    await page.getByText('sip:vm@192.0.2.5:5070').waitFor();
    expect(await page.locator('section[aria-label="Feature codes"]').textContent()).toContain('after 25 s without answer');
    await shot('pbx-forwarding');
  }, 30_000);

  test('console: lamps follow registrations and calls live; a lamp shows whom the extension talks to', async () => {
    fx.store.registrations.apply([{ kind: 'upsert', binding: binding('201', '192.168.1.21') }, { kind: 'upsert', binding: binding('202', '192.168.1.22') }]);
    await page.getByRole('link', { name: 'Console' }).click();
    await page.getByRole('heading', { name: 'Console', level: 1 }).waitFor();
    const lamp = (n: string) => page.locator(`.lamp[data-number="${n}"]`);
    await page.getByRole('listitem', { name: 'Reception (201): idle' }).waitFor({ timeout: 10_000 });
    await page.getByRole('listitem', { name: /^204: no phone$/ }).waitFor();
    // 202 calls 201: while it rings (the busy lamps, as the workers' dialog events feed the board) 201's lamp says who calls.
    const t0 = Date.now() - 65_000;
    fx.view.lampBoard.apply(1, [{ kind: 'trying', callId: 'call-1', tags: ['b', ''], from: 'sip:202@office.lan', to: 'sip:201@office.lan', ts: t0, callees: ['201'] }]);
    await page.getByRole('listitem', { name: 'Reception (201): ringing call from Sales (202)' }).waitFor({ timeout: 10_000 });
    expect(await lamp('201').getAttribute('class')).toContain('lamp-ringing');
    await page.getByRole('listitem', { name: 'Sales (202): in call calling Reception (201)' }).waitFor();
    await shot('pbx-console-ringing');
    // 201 answers (the calls view and the board hear the 200): both lamps show the call without a reload.
    fx.view.lampBoard.apply(1, [{ kind: 'start', callId: 'call-1', tags: ['b', 'a'], from: 'sip:202@office.lan', to: 'sip:201@office.lan', ts: t0 }]);
    fx.view.calls.apply(1, [{ kind: 'start', callId: 'call-1', tags: ['b', 'a'], from: '<sip:202@office.lan>', to: '<sip:201@office.lan>', ts: t0 }]);
    await page.getByRole('listitem', { name: 'Reception (201): in call with Sales (202)' }).waitFor({ timeout: 10_000 });
    expect(await lamp('202').getAttribute('class')).toContain('lamp-in-call');
    await lamp('201').click();
    const detail = page.locator('.lamp-detail');
    await detail.getByText(/with Sales \(202\), for 1 min \d+ s/).waitFor();
    expect(await detail.textContent()).toContain('Desk Phone 2.1');
    await shot('pbx-console');
    fx.view.calls.apply(1, [{ kind: 'end', callId: 'call-1', tags: ['b', 'a'], ts: Date.now() }]);
    fx.view.lampBoard.apply(1, [{ kind: 'end', callId: 'call-1', tags: ['b', 'a'], ts: Date.now() }]);
    await page.getByRole('listitem', { name: 'Reception (201): idle' }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }, 30_000);
});
