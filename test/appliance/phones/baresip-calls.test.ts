import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { callAndHangUp, startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { freePort, freeTcpPort } from '../../support/sipp.ts';

/**
 * Real baresip phones (Debian baresip-core) register with digest through the appliance and call
 * each other: established on both sides, RTP both ways (baresip's packet counts), BYE ends it.
 * Appliance on 127.0.150.1, phones on 127.0.150.11-19.
 */
const HOST = '127.0.150.1';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = { '201': 'Alpha-Pass-201', '202': 'Bravo-Pass-202', '203': 'Charlie-Pass-203', '204': 'Delta-Pass-204' };
const hasBaresip = requireTool('baresip');

let ap: TestAppliance;
const running: BaresipPhone[] = [];

async function phone(user: string, ip: string, transport: 'udp' | 'tcp', expires?: number): Promise<BaresipPhone> {
  const port = transport === 'tcp' ? await freeTcpPort(ip) : await freePort(ip);
  const p = startBaresip({ ip, port, user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${ap.port}`, transport, expires });
  running.push(p);
  await p.waitFor(/200 OK .*\[\d+ bindings?\]/);
  return p;
}

/** Caller dials callee, both see the call established, 2 s of audio, caller hangs up (BYE): RTP both ways. */
async function call(caller: BaresipPhone, callee: BaresipPhone): Promise<void> {
  const rtp = await callAndHangUp(caller, callee, DOMAIN);
  for (const [p, stats] of [[caller, rtp.caller], [callee, rtp.callee]] as const) {
    console.log(`${caller.user} -> ${callee.user}: ${p.user} RTP packets tx ${stats?.tx} rx ${stats?.rx}`);
    expect(stats?.tx ?? 0).toBeGreaterThan(50);
    expect(stats?.rx ?? 0).toBeGreaterThan(50);
  }
}

describe.skipIf(!hasBaresip)('baresip phones through the appliance', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: 'min_expires = 2' });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await ap?.stop();
  });

  test('UDP caller calls a UDP callee: established, RTP both ways, BYE', async () => {
    const a = await phone('201', '127.0.150.11', 'udp');
    const b = await phone('202', '127.0.150.12', 'udp');
    await call(a, b);
  }, 30000);

  test('UDP caller calls a TCP callee, and back', async () => {
    const a = await phone('201', '127.0.150.11', 'udp');
    const b = await phone('203', '127.0.150.13', 'tcp');
    await call(a, b);
    await call(b, a);
  }, 40000);

  test('a phone with a short expiry re-registers, and stays reachable', async () => {
    const b = await phone('204', '127.0.150.14', 'udp', 3);
    const firstExpiry = ap.app.sip.location.bindings(`sip:204@${DOMAIN}`)[0]?.expiresAt ?? 0;
    // baresip refreshes before the granted 3 s run out: after 4.5 s the binding is still there,
    // with a later expiry than the first REGISTER gave it.
    await Bun.sleep(4500);
    expect(ap.app.sip.location.bindings(`sip:204@${DOMAIN}`)[0]?.expiresAt ?? 0).toBeGreaterThan(firstExpiry + 2000);
    expect(ap.app.sip.location.bindings(`sip:204@${DOMAIN}`)).toHaveLength(1);
    const a = await phone('201', '127.0.150.11', 'udp');
    await call(a, b);
  }, 30000);

  test('a phone that unregisters leaves no binding, and a call to it is refused', async () => {
    const b = await phone('202', '127.0.150.12', 'udp');
    expect(ap.app.sip.location.bindings(`sip:202@${DOMAIN}`)).toHaveLength(1);
    running.splice(running.indexOf(b), 1);
    await b.stop(); // baresip unregisters (REGISTER Expires: 0) on /quit
    expect(b.log()).toMatch(/ua: stop all \(forced=0\)/);
    const end = Date.now() + 3000;
    while (ap.app.sip.location.bindings(`sip:202@${DOMAIN}`).length > 0 && Date.now() < end) await Bun.sleep(50);
    expect(ap.app.sip.location.bindings(`sip:202@${DOMAIN}`)).toEqual([]);
    const a = await phone('201', '127.0.150.11', 'udp');
    const a0 = a.log().length;
    a.send(`/dial sip:202@${DOMAIN}`);
    const m = await a.waitFor(/(?:closed|terminated|failed)[^\n]*?(4\d\d) ([A-Za-z ]+)/, 8000, a0);
    console.log(`call to the unregistered phone: ${m[0]}`);
    expect(['480', '404']).toContain(m[1]);
  }, 30000);
});
