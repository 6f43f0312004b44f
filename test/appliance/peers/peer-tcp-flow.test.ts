import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIP_CERT_FILES } from '../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../appliance/tls/certificate.ts';
import type { BindingRecord } from '../../../system/store/index.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, freeTcpPort, SCENARIOS, SHARED, sippMessages, startSipp } from '../../support/sipp.ts';
import { headerLines, SipTlsPhone } from '../../support/sip-tls-phone.ts';
import { SipUdpPeer, sipMessage, statusOf } from '../../support/sip-udp-peer.ts';
import { PeerPair, PHONE_PASSWORD, waitFor } from './support/peer-pair.ts';
import { callIdOf, isRequest } from '../../support/sip-text.ts';

/**
 * Issue 19: a TCP phone registered on B is called from A through B's connection (RFC 5626 §5.3
 * flow tokens). A (127.0.204.1, one worker) and B (127.0.204.2, two workers: the connection is
 * one worker's, A's request may reach the other). The phone is a hand-driven TCP client that
 * listens nowhere: whoever tried a new connection to its Contact would be refused, so every
 * answered call went over its registration connection. Loopback 127.0.204.0/24 only.
 */
const A = '127.0.204.1';
const B = '127.0.204.2';
const CALLER = '127.0.204.10';
const PHONE = '127.0.204.21';
const TLS_PHONE = '127.0.204.22';
const TLS_EXT = '802';
const STRANGER = '127.0.204.66';
const EXT = '801';
const hasSipp = requireTool('sipp');

let pair: PeerPair;
let phone: SipTlsPhone;
let tlsPort: number;
let domain: string;
const aor = () => `sip:${EXT}@${domain}`;

/** A's binding of the phone, once it has replicated with its flow holder. */
function aBinding(): BindingRecord | undefined {
  return pair.a.control!.store.registrations.loadActive().find((b) => b.aor === aor());
}

/** The caller's side: sipp on A over UDP from CALLER (a trusted gateway: no digest). */
async function call(scenario: string, ext = EXT) {
  const port = await freePort(CALLER);
  return startSipp(['-sf', scenario, '-s', ext, `${A}:${pair.a.sipPort}`, '-i', CALLER, '-p', String(port), '-m', '1', '-timeout', '15'], 20);
}

/** The phone answers the INVITE of the call with 180 and 200 (its SDP), and waits for the ACK. */
async function answer(on: SipTlsPhone = phone, ext = EXT): Promise<string> {
  const phone = on;
  const before = phone.inbox.length;
  const invite = await phone.waitFor((m) => phone.inbox.indexOf(m) >= before && isRequest('INVITE')(m), 8000);
  expect(invite).toBeDefined();
  phone.respond(invite!, 180, 'Ringing');
  const sdp = `v=0\r\no=- 1 1 IN IP4 ${PHONE}\r\ns=-\r\nc=IN IP4 ${PHONE}\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n`;
  phone.respond(invite!, 200, 'OK', [`Contact: <sip:${ext}@${phone.hostPort};transport=${phone.protocol.toLowerCase()}>`, 'Content-Type: application/sdp'], sdp);
  expect(await phone.waitFor(isRequest('ACK', callIdOf(invite!)), 5000)).toBeDefined();
  return invite!;
}

/** An out-of-dialog INVITE over UDP from `from` to B naming the phone, with `Route: <sip:token@B;lr>`. */
function inviteWithToken(from: SipUdpPeer, token: string, callId: string, phoneAt = phone.hostPort): string {
  return sipMessage(`INVITE sip:${EXT}@${phoneAt};transport=tcp SIP/2.0`, [
    `Via: SIP/2.0/UDP ${from.hostPort};branch=z9hG4bK-${callId};rport`, 'Max-Forwards: 70',
    `Route: <sip:${token}@${B}:${pair.b.sipPort};lr>`,
    `From: <sip:mallory@${from.address}>;tag=m1`, `To: <sip:${EXT}@${domain}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
    `Contact: <sip:mallory@${from.hostPort}>`,
  ]);
}

/** The kernel's TCP states (hex, /proc/net/tcp) of the sockets whose far end is address:port (IPv4). */
function tcpStatesTo(address: string, port: number): string[] {
  const hex = address.split('.').map(Number).reverse().map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  const far = `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === far).map((f) => f[3]);
}

/**
 * Sends `invite` from `from` to B and returns B's final response, ACKed as a UAC does for a
 * non-2xx (RFC 3261 §17.1.1.3: same branch and Route, the response's To), so that B's INVITE
 * server transaction ends at once instead of waiting out Timer H (and B's stop with it).
 */
async function inviteB(from: SipUdpPeer, invite: string, ms = 3000): Promise<string | undefined> {
  const callId = callIdOf(invite);
  const line = (m: string, name: string) => m.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))!;
  const ruri = invite.split('\r\n')[0].split(' ')[1];
  const final = () => from.waitFor((m) => callIdOf(m) === callId && (statusOf(m) ?? 0) >= 300, ms);
  const ack = (res: string) => from.send(sipMessage(`ACK ${ruri} SIP/2.0`, [
    line(invite, 'Via'), 'Max-Forwards: 70', line(invite, 'Route'), line(invite, 'From'), line(res, 'To'), `Call-ID: ${callId}`, 'CSeq: 1 ACK',
  ]), pair.b.sipPort, B);
  from.send(invite, pair.b.sipPort, B);
  const res = await final();
  if (res) {
    ack(res);
    return res;
  }
  // Relayed and unanswered (it raced the close): cancelled (RFC 3261 §9.1), so B's transactions end now.
  from.send(sipMessage(`CANCEL ${ruri} SIP/2.0`, [
    line(invite, 'Via'), 'Max-Forwards: 70', line(invite, 'Route'), line(invite, 'From'), line(invite, 'To'), `Call-ID: ${callId}`, 'CSeq: 1 CANCEL',
  ]), pair.b.sipPort, B);
  const cancelled = await final();
  if (cancelled) ack(cancelled);
  return undefined;
}

describe.skipIf(!hasSipp)('a TCP phone on the peer, reached through its connection', () => {
  beforeAll(async () => {
    const tlsPorts = [await freeTcpPort(A), await freeTcpPort(B)];
    pair = await PeerPair.prepare({
      hosts: [A, B], workers: [1, 2], extensions: [[EXT, TLS_EXT], [EXT, TLS_EXT]], trusted: [CALLER], transports: ['udp', 'tcp', 'tls'],
      tail: [`[sip.tls]\nport = ${tlsPorts[0]}`, `[sip.tls]\nport = ${tlsPorts[1]}`],
    });
    tlsPort = tlsPorts[1];
    domain = pair.a.config.sip.domain;
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    phone = await SipTlsPhone.openTcp(PHONE, B, pair.b.sipPort);
    expect(await phone.register(EXT, PHONE_PASSWORD, domain, `sip:${EXT}@${phone.hostPort};transport=tcp`)).toBe(200);
    // Replicated to A with the member holding the connection and its token, and in A's worker.
    expect(await waitFor(() => aBinding()?.heldBy?.member === 'b', 5000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(async () => [...(await a.locationOf(aor())).values()].some((l) => l.some((b) => b.heldBy?.member === 'b')), 5000)).toBeGreaterThanOrEqual(0);
  }, 60_000);

  afterAll(async () => {
    phone?.close();
    await pair?.stop();
  });

  test('the binding says who holds the flow; B keeps it as its own', () => {
    const b = aBinding()!;
    expect(b).toMatchObject({ transport: 'tcp', source: `tcp:${PHONE}:${phone.port}`, heldBy: { member: 'b', token: expect.stringMatching(/^flow\./) } });
    const own = pair.b.control!.store.registrations.loadActive().find((x) => x.aor === aor())!;
    expect(own.heldBy).toEqual(b.heldBy);
  });

  test('a call from A reaches the phone over its registration connection; the caller hangs up', async () => {
    const caller = await call(join(SHARED, 'bench/sipp/uac-call.xml'));
    const invite = await answer();
    // Through B (its Via on top, its Record-Route) and A (Record-Route below B's).
    expect(headerLines(invite, 'Via')[0]).toContain(`SIP/2.0/TCP ${B}:`);
    const rr = headerLines(invite, 'Record-Route');
    expect(rr.length).toBeGreaterThanOrEqual(2);
    expect(rr[0]).toContain(`${B}:${pair.b.sipPort}`);
    expect(rr.some((r) => r.includes(`${A}:${pair.a.sipPort}`))).toBe(true);
    // B popped the flow-token Route: the phone sees none.
    expect(headerLines(invite, 'Route')).toEqual([]);
    const bye = await phone.waitFor(isRequest('BYE', callIdOf(invite)), 8000);
    expect(bye).toBeDefined();
    phone.respond(bye!, 200, 'OK');
    const r = await caller.done;
    if (r.code !== 0) console.log(await sippMessages(r));
    expect(r.code).toBe(0);
  }, 30_000);

  test('the phone hangs up: its BYE follows the route set back through B and A', async () => {
    const caller = await call(join(SCENARIOS, 'uac-await-bye.xml'));
    const invite = await answer();
    const callId = callIdOf(invite)!;
    const field = (name: string) => invite.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))!.slice(name.length + 1).trim();
    const contact = /<([^>]+)>/.exec(field('Contact'))![1];
    // The UAS's route set is the Record-Route in order (RFC 3261 §12.1.1).
    phone.send(sipMessage(`BYE ${contact} SIP/2.0`, [
      `Via: SIP/2.0/TCP ${phone.hostPort};branch=z9hG4bK-bye-${Date.now()}`, 'Max-Forwards: 70',
      ...headerLines(invite, 'Record-Route').map((r) => `Route: ${r}`),
      `From: ${field('To')};tag=tlsphone`, `To: ${field('From')}`, `Call-ID: ${callId}`, 'CSeq: 1 BYE',
    ]));
    const ok = await phone.waitFor((m) => statusOf(m) === 200 && m.includes('CSeq: 1 BYE') && callIdOf(m) === callId, 8000);
    expect(ok).toBeDefined();
    const r = await caller.done;
    if (r.code !== 0) console.log(await sippMessages(r));
    expect(r.code).toBe(0);
  }, 30_000);

  test('a TLS phone on B, called from A: over its TLS connection', async () => {
    const ca = readFileSync(join(pair.b.config.dataDir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');
    const tls = await SipTlsPhone.open(TLS_PHONE, B, tlsPort, ca);
    try {
      expect(await tls.register(TLS_EXT, PHONE_PASSWORD, domain, `sip:${TLS_EXT}@${tls.hostPort};transport=tls`)).toBe(200);
      const tlsAor = `sip:${TLS_EXT}@${domain}`;
      expect(await waitFor(async () => [...(await pair.a.control!.locationOf(tlsAor)).values()].some((l) => l.some((b) => b.heldBy?.member === 'b' && b.transport === 'tls')), 5000)).toBeGreaterThanOrEqual(0);
      const caller = await call(join(SHARED, 'bench/sipp/uac-call.xml'), TLS_EXT);
      const invite = await answer(tls, TLS_EXT);
      expect(headerLines(invite, 'Via')[0]).toContain(`SIP/2.0/TLS ${B}:`);
      const bye = await tls.waitFor(isRequest('BYE', callIdOf(invite)), 8000);
      expect(bye).toBeDefined();
      tls.respond(bye!, 200, 'OK');
      const r = await caller.done;
      if (r.code !== 0) console.log(await sippMessages(r));
      expect(r.code).toBe(0);
    } finally {
      tls.close();
    }
  }, 30_000);

  test('attack: a flow-token Route from a stranger is refused (403), even with the real token; nothing relayed', async () => {
    const stranger = await SipUdpPeer.open(STRANGER);
    const peerAddress = await SipUdpPeer.open(A); // from the peer's address, but a made-up token
    try {
      const token = aBinding()!.heldBy!.token;
      const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'0'.repeat(20)}`;
      const cases: [SipUdpPeer, string, string, string][] = [
        [stranger, token, `stranger-real-${Date.now()}`, 'Flow tokens are for peers'],
        [stranger, forged, `stranger-forged-${Date.now()}`, 'Flow tokens are for peers'],
        [peerAddress, forged, `peer-forged-${Date.now()}`, 'Invalid flow token'],
      ];
      for (const [from, t, callId, reason] of cases) {
        const res = await inviteB(from, inviteWithToken(from, t, callId));
        expect(statusOf(res)).toBe(403);
        expect(res).toContain(reason);
      }
      // The refusals are answered before anything could be sent; give a relay time to show anyway.
      await Bun.sleep(300);
      for (const [, , callId] of cases) expect(phone.inbox.some((m) => callIdOf(m) === callId)).toBe(false);
    } finally {
      stranger.close();
      peerAddress.close();
    }
  }, 20_000);

  test('the flow gone: B answers 430, the caller on A gets 480, and nobody opens a new connection to the phone', async () => {
    const token = aBinding()!.heldBy!.token;
    const port = phone.port;
    const phoneAt = phone.hostPort;
    phone.close();
    // B has closed its end too (no ESTABLISHED 01 / CLOSE_WAIT 08 left towards the phone): what
    // comes now finds the flow gone, rather than racing the close into a dead connection.
    expect(await waitFor(() => !tcpStatesTo(PHONE, port).some((st) => st === '01' || st === '08'), 5000)).toBeGreaterThanOrEqual(0);
    // Listen where the phone was: any new connection to its Contact would be counted here.
    let accepted = 0;
    const listener = Bun.listen({ hostname: PHONE, port, socket: { open: () => void accepted++, data: () => {} } });
    try {
      const peerAddress = await SipUdpPeer.open(A);
      try {
        // B notices the close (every worker, through the control section's owners table).
        let status: number | undefined;
        expect(await waitFor(async () => {
          const callId = `gone-${Date.now()}`;
          status = statusOf(await inviteB(peerAddress, inviteWithToken(peerAddress, token, callId, phoneAt), 1000));
          return status === 430;
        }, 8000)).toBeGreaterThanOrEqual(0);
        expect(status).toBe(430);
      } finally {
        peerAddress.close();
      }
      const caller = await call(join(SCENARIOS, 'uac-expect-480.xml'));
      const r = await caller.done;
      if (r.code !== 0) console.log(await sippMessages(r));
      expect(r.code).toBe(0);
      expect(accepted).toBe(0);
    } finally {
      listener.stop(true);
    }
  }, 30_000);
});
