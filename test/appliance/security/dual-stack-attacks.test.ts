import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { sipMessage, SipUdpPeer, statusOf } from '../../support/sip-udp-peer.ts';

/**
 * Dual stack must not open a relay between the families (issue 11, IPv6): a stranger on [::1]
 * names our IPv4 address in Route (the entry a real dialog's route set would carry) to have us
 * relay to a far end on IPv4. The appliance listens on 127.0.160.2 and [::1]; the far end is
 * 127.0.160.21. Nothing may reach it.
 */
const HOST = '127.0.160.2';
const V6 = '::1';
const FAR_END = '127.0.160.21';
let ap: TestAppliance;
const peers: SipUdpPeer[] = [];
let seq = 0;

async function peer(address: string): Promise<SipUdpPeer> {
  const p = await SipUdpPeer.open(address);
  peers.push(p);
  return p;
}

function invite(p: SipUdpPeer, ruri: string, opts: { toTag?: string; route?: string }): { text: string; callId: string } {
  const callId = `v6attack-${++seq}-${Date.now()}`;
  const text = sipMessage(`INVITE ${ruri} SIP/2.0`, [
    `Via: SIP/2.0/UDP ${p.hostPort};rport;branch=z9hG4bK-${callId}`, 'Max-Forwards: 70',
    `From: <sip:stranger@evil.example>;tag=f${callId}`, `To: <${ruri}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <sip:x@${p.hostPort}>`, ...(opts.route ? [`Route: ${opts.route}`] : []),
  ]);
  return { text, callId };
}

describe('dual stack: no relay across families for a stranger', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { listen: [HOST, V6], sip: 'transports = ["udp"]' });
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await ap?.stop();
  });

  test('an in-dialog INVITE from [::1] with a Route naming our IPv4 address, no dialog token: 403, nothing relayed', async () => {
    const stranger = await peer(V6);
    const farEnd = await peer(FAR_END);
    const forged = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged1', route: `<sip:${HOST}:${ap.port};lr>` });
    stranger.send(forged.text, ap.port, V6);
    expect(statusOf(await stranger.waitFor((m) => m.includes(forged.callId)))).toBe(403);
    await Bun.sleep(300);
    expect(farEnd.inbox).toHaveLength(0);
  });

  test('the doubled pair a real cross-family dialog carries ([::1] then IPv4), with a made-up token: 403, nothing relayed', async () => {
    const stranger = await peer(V6);
    const farEnd = await peer(FAR_END);
    const token = 'dlg=0123456789abcdef0123';
    const route = `<sip:[::1]:${ap.port};lr;${token}>, <sip:${HOST}:${ap.port};lr;${token}>`;
    const forged = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged2', route });
    stranger.send(forged.text, ap.port, V6);
    expect(statusOf(await stranger.waitFor((m) => m.includes(forged.callId)))).toBe(403);
    await Bun.sleep(300);
    expect(farEnd.inbox).toHaveLength(0);
  });

  test('a new INVITE from [::1] to an outside address routed through our IPv4 address: refused (no open relay), nothing relayed', async () => {
    const stranger = await peer(V6);
    const farEnd = await peer(FAR_END);
    const attempt = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { route: `<sip:${HOST}:${ap.port};lr>` });
    stranger.send(attempt.text, ap.port, V6);
    const status = statusOf(await stranger.waitFor((m) => m.includes(attempt.callId) && statusOf(m)! >= 300));
    expect(status).toBe(403);
    await Bun.sleep(300);
    expect(farEnd.inbox).toHaveLength(0);
  });

  test('the other way: from IPv4, a Route naming our IPv6 address, to a far end on [::1]: 403, nothing relayed', async () => {
    const stranger = await peer('127.0.160.20');
    const farEnd = await peer(V6);
    const forged = invite(stranger, `sip:+442071234567@${farEnd.hostPort}`, { toTag: 'forged4', route: `<sip:[::1]:${ap.port};lr>` });
    stranger.send(forged.text, ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(forged.callId)))).toBe(403);
    await Bun.sleep(200);
    expect(farEnd.inbox).toHaveLength(0);
  });
});
