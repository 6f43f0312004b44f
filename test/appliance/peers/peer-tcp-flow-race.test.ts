import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import type { BindingRecord } from '../../../system/store/index.ts';
import { connectionKey } from '../../../appliance/sip/transport/connection-key.ts';
import { SipTlsPhone } from '../../support/sip-tls-phone.ts';
import { SipUdpPeer, sipMessage, statusOf } from '../../support/sip-udp-peer.ts';
import { PeerPair, PHONE_PASSWORD, waitFor } from './support/peer-pair.ts';
import { callIdOf } from '../../support/sip-text.ts';

/**
 * Issue 19, the race right after a TCP phone's connection closes: A forwards a call for the
 * phone to B (the flow's holder) with its flow token, and the B worker that receives it does
 * not hold the connection any more, or its owners table (control/tcp-owners.ts, every worker's
 * copy) still says a sibling does. RFC 5626 §5.3.1: the edge proxy answers 430 Flow Failed when
 * the flow is gone, at once; before, the bytes handed to the sibling were dropped silently and
 * A's caller waited for Timer B (32 s). The stale tables are made on purpose (the entry present,
 * the socket gone) through the control section's own `tcp-owners` messages and table.
 * A (127.0.212.1, one worker) and B (127.0.212.2, two workers). Loopback 127.0.212.0/24 only.
 */
const A = '127.0.212.1';
const B = '127.0.212.2';
const CALLER = '127.0.212.10';
const PHONE = '127.0.212.21';
const EXT = '811';
/** What "at once" means here: one IPC round trip and two UDP hops, on a loaded 2-core box. */
const QUICK_MS = 2000;

let pair: PeerPair;
let domain: string;
const aor = () => `sip:${EXT}@${domain}`;
const field = (m: string, name: string) => m.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))!;

/** A's binding of the phone at `port`, once replicated with its flow holder. */
function aBinding(port: number): BindingRecord | undefined {
  return pair.a.control!.store.registrations.loadActive().find((b) => b.aor === aor() && b.source === `tcp:${PHONE}:${port}` && b.heldBy?.member === 'b');
}

/** The kernel's TCP states (hex, /proc/net/tcp) of the sockets whose far end is address:port. */
function tcpStatesTo(address: string, port: number): string[] {
  const hex = address.split('.').map(Number).reverse().map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  const far = `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === far).map((f) => f[3]);
}

/** A TCP phone registered on B, replicated to A with B as the holder of its flow. */
async function registeredPhone(): Promise<{ phone: SipTlsPhone; token: string; key: string }> {
  const phone = await SipTlsPhone.openTcp(PHONE, B, pair.b.sipPort);
  expect(await phone.register(EXT, PHONE_PASSWORD, domain, `sip:${EXT}@${phone.hostPort};transport=tcp`)).toBe(200);
  expect(await waitFor(() => aBinding(phone.port) !== undefined, 5000)).toBeGreaterThanOrEqual(0);
  const key = connectionKey('tcp', PHONE, phone.port);
  expect(await waitFor(() => pair.b.control!.tcpOwners.ownerOf(key) !== undefined, 5000)).toBeGreaterThanOrEqual(0);
  return { phone, token: aBinding(phone.port)!.heldBy!.token, key };
}

/** Closes the phone's end and waits until B has closed its own and its control section's table has forgotten it. */
async function closed(phone: SipTlsPhone, key: string): Promise<void> {
  const port = phone.port;
  phone.close();
  expect(await waitFor(() => !tcpStatesTo(PHONE, port).some((st) => st === '01' || st === '08'), 5000)).toBeGreaterThanOrEqual(0);
  expect(await waitFor(() => pair.b.control!.tcpOwners.ownerOf(key) === undefined, 5000)).toBeGreaterThanOrEqual(0);
}

/**
 * Sends an INVITE from `from` to `host:port` and returns its final response and how long it
 * took, ACKed (RFC 3261 §17.1.1.3) so the server transaction ends at once; unanswered within
 * `ms`: CANCELled (§9.1), so the test does not leave B's transactions waiting for Timer B.
 */
async function invite(from: SipUdpPeer, host: string, port: number, ruri: string, extra: string[], ms: number): Promise<{ res?: string; ms: number }> {
  const callId = `race-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const common = [`Via: SIP/2.0/UDP ${from.hostPort};branch=z9hG4bK-${callId};rport`, 'Max-Forwards: 70', ...extra,
    `From: <sip:gateway@${from.address}>;tag=g1`];
  const final = () => from.waitFor((m) => callIdOf(m) === callId && (statusOf(m) ?? 0) >= 300, ms);
  const ack = (res: string) => from.send(sipMessage(`ACK ${ruri} SIP/2.0`, [...common, field(res, 'To'), `Call-ID: ${callId}`, 'CSeq: 1 ACK']), port, host);
  const t0 = performance.now();
  from.send(sipMessage(`INVITE ${ruri} SIP/2.0`, [...common, `To: <sip:${EXT}@${domain}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE',
    `Contact: <sip:gateway@${from.hostPort}>`]), port, host);
  const res = await final();
  const took = performance.now() - t0;
  if (res) {
    ack(res);
    return { res, ms: took };
  }
  from.send(sipMessage(`CANCEL ${ruri} SIP/2.0`, [...common, `To: <sip:${EXT}@${domain}>`, `Call-ID: ${callId}`, 'CSeq: 1 CANCEL']), port, host);
  const cancelled = await final();
  if (cancelled) ack(cancelled);
  return { ms: took };
}

/** What A's caller hears calling the extension (a trusted gateway: no digest). */
async function callFromA(): Promise<{ status?: number; ms: number }> {
  const caller = await SipUdpPeer.open(CALLER);
  try {
    const r = await invite(caller, A, pair.a.sipPort, `sip:${EXT}@${domain}`, [], QUICK_MS + 3000);
    return { status: statusOf(r.res), ms: r.ms };
  } finally {
    caller.close();
  }
}

/** B as A's proxy reaches it: from A's address, with the flow token's Route, for the phone's Contact. */
async function probeB(token: string, phoneAt: string): Promise<{ status?: number; reason?: string; ms: number }> {
  const peer = await SipUdpPeer.open(A);
  try {
    const r = await invite(peer, B, pair.b.sipPort, `sip:${EXT}@${phoneAt};transport=tcp`, [`Route: <sip:${token}@${B}:${pair.b.sipPort};lr>`], QUICK_MS + 3000);
    return { status: statusOf(r.res), reason: r.res?.split('\r\n')[0].split(' ').slice(2).join(' '), ms: r.ms };
  } finally {
    peer.close();
  }
}

describe('a TCP phone on the peer whose connection just closed: 430 at once', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: [A, B], workers: [1, 2], extensions: [[EXT], [EXT]], trusted: [CALLER], transports: ['udp', 'tcp'] });
    domain = pair.a.config.sip.domain;
    await pair.start(pair.b);
    const a = await pair.start(pair.a);
    expect(await waitFor(() => a.peers.links[0].state === 'up', 8000)).toBeGreaterThanOrEqual(0);
    expect(await waitFor(() => pair.b.control!.pool.workers.length === 2, 8000)).toBeGreaterThanOrEqual(0);
  }, 60_000);

  afterAll(async () => {
    await pair?.stop();
  });

  test('the connection closes and A calls at once: the caller gets 480 quickly, whichever worker B the request meets', async () => {
    const { phone } = await registeredPhone();
    phone.close();
    const r = await callFromA();
    expect(r.status).toBe(480);
    expect(r.ms).toBeLessThan(QUICK_MS);
  }, 30_000);

  test("B's workers' tables stale (each says the other holds the flow), the socket gone: 430 from B, 480 at A's caller, quickly", async () => {
    const { phone, token, key } = await registeredPhone();
    const phoneAt = phone.hostPort;
    await closed(phone, key);
    const [w1, w2] = pair.b.control!.pool.workers;
    pair.b.control!.pool.send(w1, { type: 'tcp-owners', owners: [[key, w2.id]] });
    pair.b.control!.pool.send(w2, { type: 'tcp-owners', owners: [[key, w1.id]] });
    try {
      // From several source ports: both of B's workers get some (the kernel spreads the shared port).
      for (let i = 0; i < 4; i++) {
        const r = await probeB(token, phoneAt);
        expect(r.status).toBe(430);
        expect(r.reason).toBe('Flow Failed');
        expect(r.ms).toBeLessThan(QUICK_MS);
      }
      const r = await callFromA();
      expect(r.status).toBe(480);
      expect(r.ms).toBeLessThan(QUICK_MS);
      // The failed calls are recorded once, on A where the caller is; B's 430s are transit (no record).
      expect(await waitFor(() => pair.a.control!.store.callRecords.list().some((c) => c.result === 480), 5000)).toBeGreaterThanOrEqual(0);
      expect(pair.b.control!.store.callRecords.list()).toEqual([]);
    } finally {
      pair.b.control!.pool.broadcast({ type: 'tcp-owners', owners: [[key, null]] });
    }
  }, 40_000);

  test("the control section's table stale too (a worker that closed it is still the holder): 430, and no new connection to the phone", async () => {
    const { phone, token, key } = await registeredPhone();
    const port = phone.port;
    const phoneAt = phone.hostPort;
    await closed(phone, key);
    // Listen where the phone was: the holder reopening "its" connection would be counted here.
    let accepted = 0;
    const listener = Bun.listen({ hostname: PHONE, port, socket: { open: () => void accepted++, data: () => {} } });
    const { pool, tcpOwners } = pair.b.control!;
    const [w1, w2] = pool.workers;
    tcpOwners.update(key, true, w1.id);
    pool.send(w1, { type: 'tcp-owners', owners: [[key, w2.id]] });
    pool.send(w2, { type: 'tcp-owners', owners: [[key, w1.id]] });
    try {
      for (let i = 0; i < 4; i++) {
        const r = await probeB(token, phoneAt);
        expect(r.status).toBe(430);
        expect(r.ms).toBeLessThan(QUICK_MS);
      }
      expect(accepted).toBe(0);
    } finally {
      tcpOwners.update(key, false, w1.id);
      pool.broadcast({ type: 'tcp-owners', owners: [[key, null]] });
      listener.stop(true);
    }
  }, 40_000);
});
