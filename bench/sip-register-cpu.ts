#!/usr/bin/env bun
/**
 * CPU cost of one digest registration inside the SIP service, without sockets or other
 * processes (the in-process twin of `bench/sip-cps --tests register`): REGISTER → 401 →
 * REGISTER with credentials (MD5, qop=auth, computed here from the challenge) → 200, against a
 * real store (an extension read from SQLite per request, bindings group-committed: the view is
 * flushed every `batch` registrations, as a burst shares one commit). The transport only
 * records what it would send. Prints microseconds per registration and registrations per
 * second of one core. Run: bun bench/sip-register-cpu.ts [registrations] [users]
 */
import { createHash } from 'node:crypto';
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

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const REGS = Number(args[0] ?? 20000);
const USERS = Number(args[1] ?? 100);
const BATCH = 8;
const REALM = 'office.lan';
const PASSWORD = 'Bench-Pass-2024';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'sip-register-cpu-'));
const config = parseConfig(`data_dir = "${dir}"\n[sip]\nlisten = "127.0.0.2"\nport = 5060\ndomain = "${REALM}"\n[dns]\nenabled = false\n[security]\nmax_transactions = 1000000\nrate_limit = 0\n`, 'bench');
const store = openStore(dir);
for (let u = 0; u < USERS; u++) {
  const n = String(2000 + u);
  store.extensions.add({ number: n, displayName: n, realm: REALM, ha1Md5: md5(`${n}:${REALM}:${PASSWORD}`), ha1Sha256: '', e164: null });
}
const location = new LocationView(store.registrations);
const sent: Buffer[] = [];
const transport: SipTransport = { send: (_d: Destination, data: Buffer) => (sent.push(data), true), hasConnection: () => false, close: async () => {} };
const settings = sipSettings(config, 5060, 5060);
const service = new SipService({
  settings, location,
  auth: new Authenticator(new NonceIssuer('bench-nonce-secret', REALM, 300), REALM, (u) => store.extensions.get(u), ['MD5'],
    (host) => settings.localHosts.has(host.replace(/:\d+$/, '').toLowerCase()), {
      learnt: (n) => store.extensions.learntSha256(n),
      withLearnt: (u) => store.extensions.withLearnt(u),
      learn: (n, agent) => void store.extensions.learnSha256(n, agent),
    }),
  extension: (n) => store.extensions.get(n), log: () => {},
  dialogTokens: new DialogTokens('bench-secret'),
  flowTokens: new FlowTokens('bench-secret'),
  guard: sourceGuardFor(config, store, () => {}),
  locate: () => ({ kind: 'relay', targets: [] }),
});
service.attach(transport);
const phone: Source = { transport: 'udp', address: '127.0.0.12', port: 5062, localPort: 5060 };

let ok = 0;
function register(i: number): void {
  const user = String(2000 + (i % USERS));
  const cid = `${i}-reg@127.0.0.12`;
  const head = (cseq: number, auth = '') => Buffer.from(`REGISTER sip:127.0.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.12:5062;branch=z9hG4bK-${i}-${cseq}\r\n`
    + `From: <sip:${user}@${REALM}>;tag=${i}ra\r\nTo: <sip:${user}@${REALM}>\r\nCall-ID: ${cid}\r\nCSeq: ${cseq} REGISTER\r\n`
    + `Contact: <sip:${user}@127.0.0.12:5062>\r\n${auth}Expires: 3600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`);
  sent.length = 0;
  service.receive(head(1), phone);
  const challenge = sent[0]!.toString('latin1');
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1];
  const opaque = /opaque="([^"]+)"/.exec(challenge)?.[1];
  const uri = 'sip:127.0.0.2:5060';
  const cnonce = `c${i}`;
  const response = md5(`${md5(`${user}:${REALM}:${PASSWORD}`)}:${nonce}:00000001:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`);
  const auth = `Authorization: Digest username="${user}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="${cnonce}", qop=auth, nc=00000001${opaque ? `, opaque="${opaque}"` : ''}\r\n`;
  service.receive(head(2, auth), phone);
}

function run(from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    register(i);
    if ((i + 1) % BATCH === 0) location.flush();
  }
  location.flush();
}

const counting = transport.send;
transport.send = (d, data) => {
  if (data.toString('latin1', 0, 14) === 'SIP/2.0 200 OK') ok++;
  return counting(d, data);
};
run(0, 2000); // warm up
ok = 0;
const t0 = performance.now();
const c0 = process.cpuUsage();
run(2000, REGS);
const cpu = process.cpuUsage(c0);
const wall = performance.now() - t0;
const us = (cpu.user + cpu.system) / REGS;
console.log(`registrations=${REGS} users=${USERS} answered_200=${ok} wall_ms=${wall.toFixed(0)} cpu_us_per_registration=${us.toFixed(1)} (includes building the test messages)`);
console.log(`one_core_registrations_per_s=${Math.round(1e6 / us)}`);
if (ok !== REGS) console.log(`WARNING: ${REGS - ok} registrations not answered 200`);
service.close();
location.close();
store.close();
rmSync(dir, { recursive: true, force: true });
process.exit(ok === REGS ? 0 : 1);
