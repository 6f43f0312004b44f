import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { rtpPackets, startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { startLinphone, type LinphonePhone } from '../../support/linphone.ts';
import { freePort, freeTcpPort } from '../../support/sipp.ts';

/**
 * baresip (baresip-core) and linphonec (linphone-cli) call each other through the appliance:
 * digest registration, call established on both sides, RTP both ways (baresip's and oRTP's
 * packet counts), BYE ends it. Appliance on 127.0.150.1, phones on 127.0.150.31-39.
 */
const HOST = '127.0.150.1';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = { '211': 'Golf-Pass-211', '212': 'Hotel-Pass-212' };
const hasPhones = requireTool('baresip') && requireTool('linphonec');

let ap: TestAppliance;
const running: { stop(): Promise<void>; log(): string; user: string }[] = [];

async function baresip(user: string, ip: string, transport: 'udp' | 'tcp'): Promise<BaresipPhone> {
  const port = transport === 'tcp' ? await freeTcpPort(ip) : await freePort(ip);
  const p = startBaresip({ ip, port, user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${ap.port}`, transport });
  running.push(p);
  await p.waitFor(/200 OK .*\[\d+ bindings?\]/);
  return p;
}

async function linphone(user: string, ip: string, transport: 'udp' | 'tcp'): Promise<LinphonePhone> {
  const port = transport === 'tcp' ? await freeTcpPort(ip) : await freePort(ip);
  const p = startLinphone({ ip, port, rtpPort: await freePort(ip), user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${ap.port}`, transport });
  running.push(p);
  await p.waitFor(/moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistrationOk\]/, 10000);
  return p;
}

/** oRTP's end-of-call statistics of linphonec: RTP packets sent and received. */
function linphoneRtp(log: string): { tx: number; rx: number } {
  return { tx: Number(log.match(/ortp-message-sent\s+(\d+) packets/)?.[1] ?? 0), rx: Number(log.match(/ortp-message-received\s+(\d+) packets/)?.[1] ?? 0) };
}

/** baresip's end-of-call summary (test/support/baresip.ts), zeros when absent. */
const baresipRtp = (log: string) => rtpPackets(log) ?? { tx: 0, rx: 0 };

/** Runs a test body; when it fails, prints the tail of every phone's log first (CI shows it). */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try { await body(); } catch (e) {
    for (const p of running) console.error(`--- ${p.user} log tail ---\n${p.log().replace(/\[0:00:\d\d\] audio=[^\n]*?\(bit\/s\)\s*/g, '').split('\n').filter((l) => !/alsa|mediastreamer-message|belle-sip-message-(channel|transaction)/.test(l)).slice(-60).join('\n')}`);
    throw e;
  }
}

/** linphonec resolved no name: every request went to the numeric proxy, no DNS left loopback. */
function expectNoDns(l: LinphonePhone) {
  expect(l.log()).not.toMatch(/Resolver is using DNS server|DNS resolution/);
}

function expectBothWays(stats: { tx: number; rx: number }) {
  expect(stats.tx).toBeGreaterThan(50);
  expect(stats.rx).toBeGreaterThan(50);
}

describe.skipIf(!hasPhones)('baresip and linphonec through the appliance', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST);
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await ap?.stop();
  });

  for (const lt of ['udp', 'tcp'] as const) {
    test(`baresip (UDP) calls linphonec (${lt.toUpperCase()}): established, RTP both ways, BYE`, () => withLogs(async () => {
      const b = await baresip('211', '127.0.150.31', 'udp');
      const l = await linphone('212', '127.0.150.32', lt);
      b.send(`/dial sip:212@${DOMAIN}`);
      await b.waitFor(/Call established/);
      await l.waitFor(/Media streams established with sip:211@office.lan/);
      await Bun.sleep(2000);
      b.send('/hangup');
      await b.waitFor(/terminated \(duration/);
      await l.waitFor(/Call \d+ with sip:211@office.lan ended/);
      await l.waitFor(/ortp-message-received\s+\d+ packets/);
      expectBothWays(baresipRtp(b.log()));
      expectBothWays(linphoneRtp(l.log()));
      expectNoDns(l);
    }), 40000);
  }

  test('linphonec (UDP) calls baresip (TCP): established, RTP both ways, BYE', () => withLogs(async () => {
    const b = await baresip('211', '127.0.150.33', 'tcp');
    const l = await linphone('212', '127.0.150.34', 'udp');
    l.send(`call sip:211@${DOMAIN}`);
    await b.waitFor(/Call established/);
    await l.waitFor(/Media streams established with sip:211@office.lan/);
    await Bun.sleep(2000);
    l.send('terminate');
    await l.waitFor(/Call \d+ with sip:211@office.lan ended/);
    await b.waitFor(/terminated \(duration/);
    await l.waitFor(/ortp-message-received\s+\d+ packets/);
    expectBothWays(baresipRtp(b.log()));
    expectBothWays(linphoneRtp(l.log()));
    expectNoDns(l);
  }), 40000);
});
