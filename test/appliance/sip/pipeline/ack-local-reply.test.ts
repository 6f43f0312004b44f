import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { sipMessage, SipUdpPeer, statusOf } from '../../../support/sip-udp-peer.ts';

/**
 * The ACK for a 407 we sent statelessly (RFC 3261 §17.1.1.3: same Call-ID, From tag and our To
 * tag), from a phone with an outbound proxy (a Route to us, no dialog token: baresip and
 * linphonec send exactly this), is absorbed: no reply, no failed-login count, so a phone
 * making calls is never banned for it. A forged in-dialog request with a Route to us and a
 * made-up To tag still counts. Appliance on 127.0.150.76, phones on .77 and .78.
 */
const HOST = '127.0.150.76';
const REALM = 'office.lan';
let ap: TestAppliance;
const peers: SipUdpPeer[] = [];
let seq = 0;

function request(p: SipUdpPeer, method: string, callId: string, opts: { toTag?: string; cseq?: number } = {}): string {
  return sipMessage(`${method} sip:202@${REALM} SIP/2.0`, [
    `Via: SIP/2.0/UDP ${p.hostPort};rport;branch=z9hG4bK-ack-${++seq}`, 'Max-Forwards: 70',
    `From: <sip:201@${REALM}>;tag=f-${callId}`, `To: <sip:202@${REALM}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`, `CSeq: ${opts.cseq ?? 1} ${method}`, `Contact: <sip:201@${p.hostPort}>`,
    `Route: <sip:${HOST}:${ap.port};lr>`,
  ]);
}

const failures = () => {
  ap.app.store.events.flush(Date.now(), true);
  return ap.app.store.events.recent(100, 'sip.auth.failed').length;
};

describe('the ACK for our own stateless 407', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST); // embedded [security] defaults: 5 failures ban an address
    ap.addExtension('201', 'Ack-Local-Pass-201');
    ap.addExtension('202', 'Ack-Local-Pass-202');
  });
  afterAll(async () => {
    for (const p of peers) p.close();
    await ap?.stop();
  });

  test('eight INVITE → 407 → ACK (Route to us) rounds: every 407 comes, no failure counted, no ban', async () => {
    const phone = await SipUdpPeer.open('127.0.150.77');
    peers.push(phone);
    for (let i = 0; i < 8; i++) {
      const callId = `ack-local-${i}-${Date.now()}`;
      phone.send(request(phone, 'INVITE', callId), ap.port, HOST);
      const challenge = await phone.waitFor((m) => m.includes(callId) && statusOf(m) === 407);
      expect(challenge).toBeDefined();
      const toTag = /^To:.*;tag=([^;\s]+)/im.exec(challenge!)![1];
      phone.send(request(phone, 'ACK', callId, { toTag }), ap.port, HOST);
    }
    await Bun.sleep(200);
    expect(phone.inbox.filter((m) => !m.startsWith('SIP/2.0 407'))).toEqual([]); // nothing answers an ACK
    expect(failures()).toBe(0);
    expect((ap.app.sip.service.sourceGuard as unknown as { bans: Map<string, unknown> }).bans.has('127.0.150.77')).toBe(false);
  });

  test('attack: a made-up To tag with a Route to us is still a forged in-dialog request (403, counted)', async () => {
    const stranger = await SipUdpPeer.open('127.0.150.78');
    peers.push(stranger);
    const before = failures();
    const callId = `forged-${Date.now()}`;
    stranger.send(request(stranger, 'BYE', callId, { toTag: 'made-up-tag' }), ap.port, HOST);
    expect(statusOf(await stranger.waitFor((m) => m.includes(callId)))).toBe(403);
    // An ACK with a made-up tag is not answered, but counted the same.
    stranger.send(request(stranger, 'ACK', `${callId}-ack`, { toTag: 'made-up-tag' }), ap.port, HOST);
    await Bun.sleep(100);
    expect(failures()).toBe(before + 2);
  });
});
