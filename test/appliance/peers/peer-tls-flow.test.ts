import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIP_CERT_FILES } from '../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../appliance/tls/certificate.ts';
import { loadConfig } from '../../../system/config/index.ts';
import { freeTcpPort } from '../../support/sipp.ts';
import { headerLines, SipTlsPhone } from '../../support/sip-tls-phone.ts';
import { sipMessage, statusOf } from '../../support/sip-udp-peer.ts';
import { PeerPair, PHONE_PASSWORD, waitFor } from './support/peer-pair.ts';
import { callIdOf } from '../../support/sip-text.ts';

/**
 * Issue 19: a `sips:` call from A to a TLS phone registered on B (with a sips: Contact) goes
 * through B's TLS connection to the phone like a TCP phone's call, and every hop is TLS (RFC
 * 5630 §3.1.1): A → B over TLS to B's `[[peers]] sip_tls` address, B → phone over the phone's
 * own connection. Before, A's hop to B was UDP, so the SIPS rule left no target: 480.
 * A (127.0.212.31, one worker) trusts B's generated certificate (`[sip.tls] ca`); B
 * (127.0.212.32) has two workers. The caller is a TLS client on A (a trusted address: no digest),
 * the phone a TLS client that listens nowhere. Loopback 127.0.212.0/24 only.
 */
const A = '127.0.212.31';
const B = '127.0.212.32';
const CALLER = '127.0.212.40';
const PHONE = '127.0.212.42';
const STRANGER = '127.0.212.46';
const EXT = '812';

let pair: PeerPair;
let domain: string;
let tlsA: number;
let tlsB: number;
let phone: SipTlsPhone;
let caller: SipTlsPhone;
const field = (m: string, name: string) => m.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))!.slice(name.length + 1).trim();
const certOf = (m: { config: { dataDir: string } }) => readFileSync(join(m.config.dataDir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');

describe('a sips: call to a TLS phone on the peer', () => {
  beforeAll(async () => {
    tlsA = await freeTcpPort(A);
    tlsB = await freeTcpPort(B);
    pair = await PeerPair.prepare({
      hosts: [A, B], workers: [1, 2], extensions: [[EXT], [EXT]], trusted: [CALLER], transports: ['udp', 'tcp', 'tls'],
      // The first line lands in the [[peers]] table (each names the other's TLS address).
      tail: [`sip_tls = "${B}:${tlsB}"\n[sip.tls]\nport = ${tlsA}`, `sip_tls = "${A}:${tlsA}"\n[sip.tls]\nport = ${tlsB}`],
    });
    domain = pair.a.config.sip.domain;
    await pair.start(pair.b);
    // B's certificate exists now: A verifies B against it (the file's last table is [sip.tls]).
    appendFileSync(pair.a.path, `ca = "${join(pair.b.config.dataDir, TLS_DIR, SIP_CERT_FILES.cert)}"\n`);
    pair.a.config = loadConfig(pair.a.path);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    phone = await SipTlsPhone.open(PHONE, B, tlsB, certOf(pair.b));
    expect(await phone.register(EXT, PHONE_PASSWORD, domain, `sips:${EXT}@${phone.hostPort}`)).toBe(200);
    expect(await waitFor(async () => [...(await a.locationOf(`sip:${EXT}@${domain}`)).values()].some((l) => l.some((b) => b.heldBy?.member === 'b' && b.transport === 'tls')), 5000)).toBeGreaterThanOrEqual(0);
    caller = await SipTlsPhone.open(CALLER, A, tlsA, certOf(pair.a));
  }, 60_000);

  afterAll(async () => {
    phone?.close();
    caller?.close();
    await pair?.stop();
  });

  test('the INVITE reaches the phone over TLS on every hop; answered, ACKed and hung up along the route set', async () => {
    const callId = `sips-call-${Date.now()}`;
    const ruri = `sips:${EXT}@${domain}`;
    const from = `<sips:gateway@${caller.hostPort}>;tag=c1`;
    const via = (b: string) => `Via: SIP/2.0/TLS ${caller.hostPort};branch=z9hG4bK-${callId}-${b};rport`;
    caller.send(sipMessage(`INVITE ${ruri} SIP/2.0`, [via('i'), 'Max-Forwards: 70', `From: ${from}`, `To: <${ruri}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
      `Contact: <sips:gateway@${caller.hostPort}>`]));
    const invite = await phone.waitFor((m) => m.startsWith('INVITE ') && callIdOf(m) === callId, 8000);
    if (!invite) console.log(caller.inbox.filter((m) => callIdOf(m) === callId).map((m) => m.split('\r\n')[0]));
    expect(invite).toBeDefined();
    // Through B (its TLS Via on top) and A (its TLS Via below B's): no hop in the clear.
    const vias = headerLines(invite!, 'Via');
    expect(vias[0]).toContain(`SIP/2.0/TLS ${B}:${tlsB}`);
    expect(vias[1]).toContain(`SIP/2.0/TLS ${A}:${tlsA}`);
    expect(invite!.split('\r\n')[0]).toBe(`INVITE sips:${EXT}@${phone.hostPort} SIP/2.0`);
    // Both record-route as sips: (RFC 5630 §3.2), B's first; B popped the flow-token Route.
    const rr = headerLines(invite!, 'Record-Route');
    expect(rr[0]).toStartWith(`<sips:${B}:${tlsB};lr`);
    expect(rr.some((r) => r.startsWith(`<sips:${A}:${tlsA};lr`))).toBe(true);
    expect(headerLines(invite!, 'Route')).toEqual([]);
    phone.respond(invite!, 200, 'OK', [`Contact: <sips:${EXT}@${phone.hostPort}>`]);
    const ok = await caller.waitFor((m) => callIdOf(m) === callId && statusOf(m) === 200, 5000);
    expect(ok).toBeDefined();
    // One call record, on A (where the caller is): B's calls view has the call (its recorder
    // saw the same events first, worker-messages.ts applyDialogEvents), its store no record.
    expect(await waitFor(() => pair.a.control!.store.callRecords.byCallId(callId) !== undefined, 5000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(() => pair.b.control!.calls.list().some((c) => c.callId === callId), 5000)).toBeGreaterThanOrEqual(0);
    expect(pair.b.control!.store.callRecords.byCallId(callId)).toBeUndefined();
    // The caller's route set: the Record-Route reversed (RFC 3261 §12.1.2), A first.
    const routes = headerLines(ok!, 'Record-Route').reverse().map((r) => `Route: ${r}`);
    const to = field(ok!, 'To');
    const contact = /<([^>]+)>/.exec(field(ok!, 'Contact'))![1];
    caller.send(sipMessage(`ACK ${contact} SIP/2.0`, [via('a'), 'Max-Forwards: 70', ...routes, `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK']));
    expect(await phone.waitFor((m) => m.startsWith('ACK ') && callIdOf(m) === callId, 5000)).toBeDefined();
    caller.send(sipMessage(`BYE ${contact} SIP/2.0`, [via('b'), 'Max-Forwards: 70', ...routes, `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, 'CSeq: 2 BYE']));
    const bye = await phone.waitFor((m) => m.startsWith('BYE ') && callIdOf(m) === callId, 5000);
    expect(bye).toBeDefined();
    phone.respond(bye!, 200, 'OK');
    expect(await caller.waitFor((m) => callIdOf(m) === callId && statusOf(m) === 200 && m.includes('CSeq: 2 BYE'), 5000)).toBeDefined();
  }, 30_000);

  test("attack: the real flow token over TLS to B's TLS port from a stranger is refused (403); nothing reaches the phone", async () => {
    const token = pair.a.control!.store.registrations.loadActive().find((b) => b.aor === `sip:${EXT}@${domain}`)!.heldBy!.token;
    const stranger = await SipTlsPhone.open(STRANGER, B, tlsB, certOf(pair.b));
    try {
      const callId = `sips-stranger-${Date.now()}`;
      stranger.send(sipMessage(`INVITE sips:${EXT}@${phone.hostPort} SIP/2.0`, [
        `Via: SIP/2.0/TLS ${stranger.hostPort};branch=z9hG4bK-${callId};rport`, 'Max-Forwards: 70', `Route: <sips:${token}@${B}:${tlsB};lr>`,
        `From: <sips:mallory@${stranger.hostPort}>;tag=m1`, `To: <sips:${EXT}@${domain}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
        `Contact: <sips:mallory@${stranger.hostPort}>`,
      ]));
      const res = await stranger.waitFor((m) => callIdOf(m) === callId && (statusOf(m) ?? 0) >= 300, 3000);
      expect(statusOf(res)).toBe(403);
      expect(res).toContain('Flow tokens are for peers');
      await Bun.sleep(200);
      expect(phone.inbox.some((m) => callIdOf(m) === callId)).toBe(false);
    } finally {
      stranger.close();
    }
  }, 20_000);
});
