import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { freePort } from '../../support/sipp.ts';

/**
 * A real client watching an extension (issue 15): baresip's presence module subscribes to 202
 * (`Event: presence`, digest, PIDF), sees it Online, Busy while 202 is in a call with 203 (the
 * RPID `on-the-phone` activity), Online again after the BYE. baresip has no dialog-event BLF,
 * so the dialog package is tested with sipp (sip/events/). Appliance 127.0.250.30, phones .31-.33.
 */
const HOST = '127.0.250.30';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = { '201': 'Alpha-Watch-201', '202': 'Bravo-Watch-202', '203': 'Charlie-Watch-203' };
const hasBaresip = requireTool('baresip');
let ap: TestAppliance;
const phones: BaresipPhone[] = [];

async function phone(user: string, ip: string, watch?: string[]): Promise<BaresipPhone> {
  const p = startBaresip({ ip, port: await freePort(ip), user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${ap.port}`, watch, toneSeconds: 20 });
  phones.push(p);
  await p.waitFor(/200 OK .*\[\d+ bindings?\]/);
  return p;
}

describe.skipIf(!hasBaresip)('baresip watches presence', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: 'transports = ["udp"]' });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
  });
  afterAll(async () => {
    for (const p of phones) await p.stop();
    await ap?.stop();
  });

  test('Online, Busy during a call, Online after it', async () => {
    const b = await phone('202', '127.0.250.32');
    const c = await phone('203', '127.0.250.33');
    const watcher = await phone('201', '127.0.250.31', [`sip:202@${DOMAIN}`]);
    /** What the watcher's contact list shows for 202 (its menu's /contacts), once it shows `want`. */
    const shows = async (want: string) => {
      const until = Date.now() + 8000;
      let seen = '';
      while (Date.now() < until) {
        const m = watcher.log().length;
        watcher.send('/contacts');
        seen = (await watcher.waitFor(/(Online|Offline|Busy|Away|Unknown)\S*\s+<sip:202@office\.lan>/, 2000, m))[1];
        if (seen === want) return seen;
        await Bun.sleep(200);
      }
      return seen;
    };
    expect(await shows('Online')).toBe('Online');
    expect(ap.app.store.subscriptions.list()).toMatchObject([{ event: 'presence', subscriber: '201', target: '202' }]);
    const c0 = c.log().length;
    const b0 = b.log().length;
    c.send(`/dial sip:202@${DOMAIN}`);
    await c.waitFor(/Call established/, 8000, c0);
    await b.waitFor(/Call established/, 8000, b0);
    // PIDF with the RPID activity on-the-phone: baresip shows Busy.
    expect(await shows('Busy')).toBe('Busy');
    c.send('/hangup');
    await b.waitFor(/terminated \(duration|session closed/, 5000, b0);
    expect(await shows('Online')).toBe('Online');
  }, 60_000);
});
