#!/usr/bin/env bun
/**
 * CPU cost of one proxied call inside the SIP service, without sockets or other processes:
 * INVITE → (100) → 180 → 200 → ACK → BYE → 200 fed to a SipService whose transport only
 * records what it would send. Prints microseconds per call and calls per second of one core.
 * Run: bun bench/sip-call-cpu.ts [calls]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../system/config/index.ts';
import { openStore } from '../system/store/index.ts';
import { Authenticator } from '../appliance/sip/auth/authenticator.ts';
import { NonceIssuer } from '../appliance/sip/auth/digest.ts';
import { LocationView } from '../appliance/sip/registrar/location-view.ts';
import { SipService } from '../appliance/sip/sip-service.ts';
import { sipSettings, sourceGuardFor } from '../appliance/sip/start-sip.ts';
import { DialogTokens } from '../appliance/sip/security/dialog-token.ts';
import { FlowTokens } from '../appliance/sip/security/flow-token.ts';
import type { Source } from '../appliance/sip/message/types.ts';
import type { Destination, SipTransport } from '../appliance/sip/transport/transport.ts';

const CALLS = Number(process.argv[2] ?? 20000);
const dir = mkdtempSync(join(tmpdir(), 'sip-call-cpu-'));
const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.2"\nport = 5060\ntrusted = ["127.0.0.0/8"]\n[dns]\nenabled = false\n[security]\nmax_transactions = 1000000\n`, 'bench');
const store = openStore(dir);
const location = new LocationView(store.registrations);
const now = Date.now();
location.applyLocal([{ kind: 'upsert', binding: {
  aor: 'sip:201@office.lan', contact: 'sip:201@127.0.0.21:5090', expiresAt: now + 3600_000, q: 1, callId: 'x', cseq: 1,
  source: 'udp:127.0.0.21:5090', transport: 'udp', userAgent: '', version: now, updatedAt: now,
} }]);
const sent: Buffer[] = [];
const transport: SipTransport = { send: (_d: Destination, data: Buffer) => (sent.push(data), true), hasConnection: () => false, close: async () => {} };
const settings = sipSettings(config, 5060, 5060);
const service = new SipService({
  settings, location,
  auth: new Authenticator(new NonceIssuer('s', 'office.lan', 300), 'office.lan', () => undefined),
  extension: () => undefined, log: () => {},
  dialogTokens: new DialogTokens('bench-secret'),
  flowTokens: new FlowTokens('bench-secret'),
  guard: sourceGuardFor(config, store, () => {}),
  locate: () => ({ kind: 'relay', targets: [{ uri: 'sip:201@127.0.0.21:5090', dest: { transport: 'udp', address: '127.0.0.21', port: 5090 } }] }),
});
service.attach(transport);
const caller: Source = { transport: 'udp', address: '127.0.0.22', port: 5091, localPort: 5060 };
const callee: Source = { transport: 'udp', address: '127.0.0.21', port: 5090, localPort: 5060 };

const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.22\r\ns=-\r\nc=IN IP4 127.0.0.22\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
function call(i: number): void {
  const cid = `${i}-bench@127.0.0.22`;
  const from = `From: sipp <sip:caller@127.0.0.22:5091>;tag=${i}SIPpTag00`;
  const invite = `INVITE sip:201@127.0.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.22:5091;branch=z9hG4bK-${i}-0\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.22:5091>\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  sent.length = 0;
  service.receive(Buffer.from(invite), caller);
  const fwd = sent.find((b) => b.toString('latin1', 0, 6) === 'INVITE')!.toString('latin1');
  const vias = fwd.match(/^Via: .*$/gm)!.join('\r\n');
  const rr = fwd.match(/^Record-Route: .*$/m)![0];
  const resp = (code: string, extra = '') => Buffer.from(`SIP/2.0 ${code}\r\n${vias}\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>;tag=${i}callee\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\n${rr}\r\nContact: <sip:127.0.0.21:5090;transport=UDP>\r\n${extra}Content-Length: 0\r\n\r\n`);
  service.receive(resp('180 Ringing'), callee);
  service.receive(resp('200 OK'), callee);
  const inDialog = (method: string, cseq: number, branch: string) => Buffer.from(`${method} sip:127.0.0.21:5090;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.22:5091;branch=z9hG4bK-${i}-${branch}\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>;tag=${i}callee\r\nCall-ID: ${cid}\r\nCSeq: ${cseq} ${method}\r\n${rr.replace(/^Record-Route:/, 'Route:')}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
  service.receive(inDialog('ACK', 1, 'a'), caller);
  sent.length = 0;
  service.receive(inDialog('BYE', 2, 'b'), caller);
  const bye = sent[0].toString('latin1');
  const byeVias = bye.match(/^Via: .*$/gm)!.join('\r\n');
  service.receive(Buffer.from(`SIP/2.0 200 OK\r\n${byeVias}\r\n${from}\r\nTo: <sip:201@127.0.0.2:5060>;tag=${i}callee\r\nCall-ID: ${cid}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`), callee);
}

for (let i = 0; i < 2000; i++) call(i); // warm up
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 2000; i < 2000 + CALLS; i++) call(i);
const cpu = process.cpuUsage(c0);
const wall = performance.now() - t0;
const usPerCall = (cpu.user + cpu.system) / CALLS;
console.log(`calls=${CALLS} wall_ms=${wall.toFixed(0)} cpu_us_per_call=${usPerCall.toFixed(1)} (includes building the test messages)`);
console.log(`one_core_calls_per_s=${Math.round(1e6 / usPerCall)}`);
service.close();
location.close();
store.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
