#!/usr/bin/env bun
/**
 * CPU per SIP message serialisation, in process: the appliance's encoder
 * (appliance/sip/message/encode.ts) against `sip.stringify` (what it replaced, issue 16), on the
 * messages a relaying worker writes: a forwarded INVITE (our Via and Record-Route added), a
 * REGISTER 200 with two Contacts, a 100 Trying, a forwarded BYE. Best of 7 rounds of 20,000
 * encodes each, microseconds of CPU (user + system) per encode.
 * Run: bun bench/sip-encode-cpu.ts [encodes-per-round]
 */
import sip from 'sip';
import { decodeMessage } from '../appliance/sip/message/decode.ts';
import { buildResponse, encodeMessage } from '../appliance/sip/message/encode.ts';
import type { SipRequest, SipResponse } from '../appliance/sip/message/types.ts';
import { forwardRequest, stampReceived, type ForwardIdentity } from '../appliance/sip/proxy/forwarding.ts';

const N = Number(process.argv[2] ?? 20000);
const ROUNDS = 7;

const id: ForwardIdentity = { advertise: '127.0.0.2', port: 5060, viaPort: 5062, dialogToken: () => '0cfba1e98a9b133073e6' };
const caller = { transport: 'udp', address: '127.0.0.22', port: 5091, localPort: 5060 } as const;
const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.22\r\ns=-\r\nc=IN IP4 127.0.0.22\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const from = 'From: sipp <sip:caller@127.0.0.22:5091>;tag=1SIPpTag00';

function request(text: string): SipRequest {
  const d = decodeMessage(Buffer.from(text, 'latin1'));
  if (d.kind !== 'request') throw new Error(`bench message did not decode: ${d.kind}`);
  stampReceived(d.msg, caller);
  return d.msg;
}
const invite = request(`INVITE sip:201@127.0.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.22:5091;branch=z9hG4bK-1-0;rport\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>\r\nCall-ID: 1-bench@127.0.0.22\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.22:5091>\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
const bye = request(`BYE sip:201@127.0.0.21:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.22:5091;branch=z9hG4bK-1-b;rport\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>;tag=1callee\r\nCall-ID: 1-bench@127.0.0.22\r\nCSeq: 2 BYE\r\nRoute: <sip:127.0.0.2:5060;lr;dlg=0cfba1e98a9b133073e6>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
const register = request('REGISTER sip:office.lan SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.23:5092;branch=z9hG4bK-r1;rport\r\nFrom: <sip:202@office.lan>;tag=r1\r\nTo: <sip:202@office.lan>\r\nCall-ID: r1@127.0.0.23\r\nCSeq: 2 REGISTER\r\nContact: <sip:202@127.0.0.23:5092>;expires=3600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
bye.headers.route = bye.headers.route!.slice(1); // the proxy pops its own Route (loose routing, RFC 3261 §16.4)

const messages: [string, SipRequest | SipResponse][] = [
  ['INVITE (forwarded)', forwardRequest(invite, 'sip:201@127.0.0.21:5090', 'z9hG4bK-p1', 'udp', id)],
  ['200 (REGISTER, 2 Contacts)', buildResponse(register, 200, 'OK', {
    contact: [{ uri: 'sip:202@127.0.0.23:5092', params: { expires: '3600' } }, { uri: 'sip:202@127.0.0.24:5094;transport=tcp', params: { expires: '1800', q: '0.5' } }],
    date: 'Thu, 03 Dec 2026 17:00:00 GMT',
  }, 'aa11bb22cc33')],
  ['100 Trying', buildResponse(invite, 100)],
  ['BYE (forwarded)', forwardRequest(bye, 'sip:201@127.0.0.21:5090', 'z9hG4bK-p2', 'udp', id)],
];

/** What encodeMessage did before issue 16: `sip.stringify`, Record-Route one row per entry. */
function before(msg: SipRequest | SipResponse): Buffer {
  const rr = msg.headers['record-route'];
  if (!rr || rr.length < 2) return Buffer.from(sip.stringify(msg), 'binary');
  const lines = rr.map((e) => `${e.name ? `${e.name} ` : ''}<${sip.stringifyUri(e.uri as string)}>${Object.entries(e.params ?? {}).map(([k, v]) => `;${k}${v ? `=${v}` : ''}`).join('')}`).join('\r\nRecord-Route: ');
  return Buffer.from(sip.stringify({ ...msg, headers: { ...msg.headers, 'record-route': lines } } as unknown as SipRequest), 'binary');
}

/** CPU microseconds per encode of one round of N. */
function round(encode: (m: SipRequest | SipResponse) => Buffer, msg: SipRequest | SipResponse): number {
  let bytes = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) bytes += encode(msg).length;
  const c = process.cpuUsage(c0);
  if (bytes === 0) throw new Error('nothing encoded');
  return (c.user + c.system) / N;
}

// sip.stringify sets headers['content-length'] on the message it writes: it gets its own copies.
const cases = messages.map(([name, msg]) => ({ name, msg, copy: { ...msg, headers: { ...msg.headers } }, old: Infinity, ours: Infinity }));
// Warm both up on every message first (the JIT tiers up over the first rounds), then
// alternate them round by round so that load from elsewhere falls on both alike.
for (const c of cases) for (let k = 0; k < 3; k++) (round(before, c.copy), round(encodeMessage, c.msg));
for (let r = 0; r < ROUNDS; r++) {
  for (const c of cases) {
    c.old = Math.min(c.old, round(before, c.copy));
    c.ours = Math.min(c.ours, round(encodeMessage, c.msg));
  }
}
console.log(`encodes_per_round=${N} rounds=${ROUNDS} (CPU us per encode, best round)`);
for (const c of cases) {
  console.log(`${c.name.padEnd(28)} sip.stringify=${c.old.toFixed(2)} encodeMessage=${c.ours.toFixed(2)} bytes=${encodeMessage(c.msg).length} speedup=${(c.old / c.ours).toFixed(2)}x`);
}
