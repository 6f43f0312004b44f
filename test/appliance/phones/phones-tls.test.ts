import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { SIP_CERT_FILES } from '../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../appliance/tls/certificate.ts';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { rtpPackets, startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { startLinphone, type LinphonePhone } from '../../support/linphone.ts';
import { freePort, freeTcpPort } from '../../support/sipp.ts';

/**
 * Real softphones over SIP/TLS (RFC 3261 §26, §18.3 framing; RFC 5658 doubled Record-Route
 * when one leg is TLS and the other UDP): baresip 1.0 (libre 1.1) and linphonec 5.1 (belle-sip,
 * mbedTLS) register over TLS to the appliance's generated self-signed certificate and call
 * phones on UDP and on TLS: established on both sides, RTP both ways, BYE ends it.
 * Appliance on 127.0.150.60, phones on 127.0.150.61-68.
 *
 * Trust: both phones are given the generated certificate itself as their CA file (the
 * fingerprint-pinning setup docs/PHONES.md describes). What each one does with it was measured:
 * - linphonec verifies the chain (`verify_server_certs=1`), but with a numeric proxy it must not
 *   match names (`verify_server_cn=0`): mbedTLS 2 compares DNS names only, so the address in the
 *   certificate's subjectAltName is a "CN-mismatch". A wrong CA file: no registration.
 * - baresip 1.0 does not verify the server certificate at all: `sip_cafile` is loaded, yet a CA
 *   file that does not hold our certificate registers just the same (asserted below, so a
 *   client that starts to verify shows up here).
 * Neither client binds its outgoing TLS connection to its address: the connection comes from
 * 127.0.0.1 (the listening point and the Via are on the phone's own address).
 * linphonec sends its responses to our Via's sent-by (so it must be the TLS port, not our UDP
 * Via port: proxy/forwarding.ts), and copies a comma-separated Record-Route with its last entry
 * twice (so we write one line per entry: message/encode.ts); a response it sends over UDP has
 * no Content-Length, which we add before relaying it onto TLS (message/response-wire.ts).
 */
const HOST = '127.0.150.60';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = {
  '301': 'Tls-Phone-Pass-301', '302': 'Tls-Phone-Pass-302', '303': 'Tls-Phone-Pass-303', '304': 'Tls-Phone-Pass-304',
};
const hasPhones = requireTool('baresip') && requireTool('linphonec');
/** A CA bundle that does not hold the appliance's self-signed certificate. */
const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';

type Transport = 'udp' | 'tcp' | 'tls';
type Phone = { stop(): Promise<void>; log(): string; user: string };

let ap: TestAppliance;
let cert: string;
const running: Phone[] = [];

function proxyFor(t: Transport): string {
  return `${ap.host}:${t === 'tls' ? ap.app.sip.transports.tlsPort : ap.port}`;
}

async function baresip(user: string, ip: string, t: Transport, cafile = cert): Promise<BaresipPhone> {
  const port = t === 'udp' ? await freePort(ip) : await freeTcpPort(ip);
  const p = startBaresip({ ip, port, user, password: PW[user], domain: DOMAIN, proxy: proxyFor(t), transport: t, cafile: t === 'tls' ? cafile : undefined });
  running.push(p);
  await p.waitFor(/200 OK .*\[\d+ bindings?\]/, 10000);
  return p;
}

function startLinphonec(user: string, ip: string, t: Transport, port: number, rtpPort: number, rootCa = cert, checkName = false): LinphonePhone {
  const p = startLinphone({ ip, port, rtpPort, user, password: PW[user], domain: DOMAIN, proxy: proxyFor(t), transport: t, ...(t === 'tls' ? { rootCa, checkName } : {}) });
  running.push(p);
  return p;
}

async function linphone(user: string, ip: string, t: Transport): Promise<LinphonePhone> {
  const port = t === 'udp' ? await freePort(ip) : await freeTcpPort(ip);
  const p = startLinphonec(user, ip, t, port, await freePort(ip));
  await p.waitFor(/moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistrationOk\]/, 10000);
  return p;
}

/** baresip's end-of-call summary (test/support/baresip.ts), zeros when absent. */
const baresipRtp = (log: string) => rtpPackets(log) ?? { tx: 0, rx: 0 };

/** oRTP's end-of-call statistics of linphonec: RTP packets sent and received. */
function linphoneRtp(log: string): { tx: number; rx: number } {
  return { tx: Number(log.match(/ortp-message-sent\s+(\d+) packets/)?.[1] ?? 0), rx: Number(log.match(/ortp-message-received\s+(\d+) packets/)?.[1] ?? 0) };
}

function expectBothWays(who: string, stats: { tx: number; rx: number }) {
  console.log(`${who}: RTP sent ${stats.tx}, received ${stats.rx}`);
  expect(stats.tx).toBeGreaterThan(50);
  expect(stats.rx).toBeGreaterThan(50);
}

/** The one binding of an extension; its transport as the registrar recorded it. */
function bindingOf(user: string) {
  const list = ap.app.sip.location.bindings(`sip:${user}@${DOMAIN}`);
  expect(list).toHaveLength(1);
  return list[0];
}

/** Runs a test body; when it fails, prints the tail of every phone's log first (CI shows it). */
async function withLogs(body: () => Promise<void>): Promise<void> {
  try { await body(); } catch (e) {
    for (const p of running) console.error(`--- ${p.user} log tail ---\n${p.log().replace(/\[0:00:\d\d\] audio=[^\n]*?\(bit\/s\)\s*/g, '').split('\n').filter((l) => !/alsa|mediastreamer-message|belle-sip-message-(channel|transaction)/.test(l)).slice(-60).join('\n')}`);
    throw e;
  }
}

/** 2 s of audio, then the caller hangs up (BYE); both see the end and RTP went both ways. */
async function talkAndHangUp(caller: BaresipPhone | LinphonePhone, callerKind: 'baresip' | 'linphonec', callee: BaresipPhone | LinphonePhone, calleeKind: 'baresip' | 'linphonec'): Promise<void> {
  await Bun.sleep(2000);
  caller.send(callerKind === 'baresip' ? '/hangup' : 'terminate');
  for (const [p, kind] of [[caller, callerKind], [callee, calleeKind]] as const) {
    if (kind === 'baresip') {
      await p.waitFor(/terminated \(duration/, 6000);
      await p.waitFor(/packets:\s+\d+\s+\d+/, 3000);
      expectBothWays(`baresip ${p.user}`, baresipRtp(p.log()));
    } else {
      await p.waitFor(/Call \d+ with sip:\d+@office\.lan ended/, 6000);
      await p.waitFor(/ortp-message-received\s+\d+ packets/, 3000);
      expectBothWays(`linphonec ${p.user}`, linphoneRtp(p.log()));
    }
  }
}

/** One end of a call: which client, its extension, address and transport. */
interface Leg { readonly kind: 'baresip' | 'linphonec'; readonly user: string; readonly ip: string; readonly t: Transport }

/** The callee registers, then the caller; the caller dials; both see the call established; talk, BYE. */
async function call(a: Leg, b: Leg): Promise<void> {
  const start = (leg: Leg) => (leg.kind === 'baresip' ? baresip(leg.user, leg.ip, leg.t) : linphone(leg.user, leg.ip, leg.t));
  const callee = await start(b);
  const caller = await start(a);
  caller.send(a.kind === 'baresip' ? `/dial sip:${b.user}@${DOMAIN}` : `call sip:${b.user}@${DOMAIN}`);
  for (const [p, leg, other] of [[caller, a, b], [callee, b, a]] as const) {
    await p.waitFor(leg.kind === 'baresip' ? /Call established/ : new RegExp(`Media streams established with sip:${other.user}@office\\.lan`));
  }
  await talkAndHangUp(caller, a.kind, callee, b.kind);
}

describe.skipIf(!hasPhones)('real softphones over TLS', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: 'transports = ["udp", "tcp", "tls"]\n[sip.tls]\nport = 0' });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    cert = join(ap.dataDir, TLS_DIR, SIP_CERT_FILES.cert);
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await ap?.stop();
  });

  test('baresip and linphonec register over TLS: the bindings show transport tls', () => withLogs(async () => {
    const b = await baresip('301', '127.0.150.61', 'tls');
    const l = await linphone('302', '127.0.150.62', 'tls');
    expect(b.log()).toMatch(/\{0\/TLS\/v4\} 200 OK/);
    for (const user of ['301', '302']) {
      const binding = bindingOf(user);
      expect(binding.transport).toBe('tls');
      expect(binding.source).toMatch(/^tls:/);
      expect(binding.contact).toContain('transport=tls');
    }
    expect(bindingOf('302').userAgent).toMatch(/^Linphonec\//);
    expect(l.log()).toMatch(/SSL handshake finished/);
  }), 30000);

  const CALLS: [Leg, Leg][] = [
    [{ kind: 'baresip', user: '301', ip: '127.0.150.63', t: 'udp' }, { kind: 'linphonec', user: '302', ip: '127.0.150.64', t: 'tls' }],
    [{ kind: 'baresip', user: '303', ip: '127.0.150.63', t: 'tls' }, { kind: 'linphonec', user: '304', ip: '127.0.150.64', t: 'tls' }],
    [{ kind: 'baresip', user: '301', ip: '127.0.150.65', t: 'udp' }, { kind: 'baresip', user: '303', ip: '127.0.150.66', t: 'tls' }],
    [{ kind: 'linphonec', user: '302', ip: '127.0.150.68', t: 'tls' }, { kind: 'baresip', user: '301', ip: '127.0.150.67', t: 'udp' }],
    [{ kind: 'baresip', user: '303', ip: '127.0.150.61', t: 'tls' }, { kind: 'linphonec', user: '304', ip: '127.0.150.62', t: 'udp' }],
    [{ kind: 'linphonec', user: '302', ip: '127.0.150.65', t: 'tcp' }, { kind: 'baresip', user: '303', ip: '127.0.150.66', t: 'tls' }],
    [{ kind: 'baresip', user: '301', ip: '127.0.150.67', t: 'tcp' }, { kind: 'linphonec', user: '304', ip: '127.0.150.68', t: 'tls' }],
  ];
  for (const [a, b] of CALLS) {
    test(`${a.t.toUpperCase()} caller (${a.kind}) calls a ${b.t.toUpperCase()} callee (${b.kind}): established, RTP both ways, BYE`, () => withLogs(() => call(a, b)), 40000);
  }

  test('TLS ↔ TLS: linphonec calls baresip, then baresip calls baresip', () => withLogs(async () => {
    const b = await baresip('303', '127.0.150.67', 'tls');
    const l = await linphone('304', '127.0.150.68', 'tls');
    l.send(`call sip:303@${DOMAIN}`);
    await b.waitFor(/Call established/);
    await l.waitFor(/Media streams established with sip:303@office\.lan/);
    await talkAndHangUp(l, 'linphonec', b, 'baresip');
    const a = await baresip('301', '127.0.150.65', 'tls');
    const b0 = b.log().length;
    a.send(`/dial sip:303@${DOMAIN}`);
    await a.waitFor(/Call established/);
    await b.waitFor(/Call established/, 8000, b0);
    await Bun.sleep(2000);
    a.send('/hangup');
    await a.waitFor(/packets:\s+\d+\s+\d+/, 6000);
    await b.waitFor(/packets:\s+\d+\s+\d+/, 6000, b0);
    expectBothWays('baresip 301', baresipRtp(a.log()));
    expectBothWays('baresip 303 (2nd call)', baresipRtp(b.log().slice(b0)));
  }), 50000);

  test('linphonec refuses a certificate its CA file does not vouch for, and a numeric proxy with name checking', () => withLogs(async () => {
    const ip = '127.0.150.65';
    for (const [rootCa, checkName, flags] of [[SYSTEM_CAS, false, /flags=\[[^\]]*not-trusted/], [cert, true, /flags=\[CN-mismatch \]/]] as const) {
      const p = startLinphonec('302', ip, 'tls', await freeTcpPort(ip), await freePort(ip), rootCa, checkName);
      await p.waitFor(/moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistrationFailed\]/, 10000);
      expect(p.log()).toMatch(flags);
      expect(p.log()).toMatch(/SSL handshake failed/);
      expect(p.log()).not.toMatch(/LinphoneRegistrationOk/);
      expect(ap.app.sip.location.bindings(`sip:302@${DOMAIN}`)).toEqual([]);
      running.splice(running.indexOf(p), 1);
      await p.stop();
    }
  }), 40000);

  test('baresip 1.0 does not verify the server certificate: a CA file without ours still registers', () => withLogs(async () => {
    const b = await baresip('301', '127.0.150.66', 'tls', SYSTEM_CAS);
    expect(b.log()).toContain(`ua: adding SIP CA: ${SYSTEM_CAS}`);
    expect(bindingOf('301').transport).toBe('tls');
  }), 30000);
});

/**
 * The same with worker processes (two, the production shape): linphonec on TLS (or TCP) is held
 * by one worker; UDP callers land on both (the kernel's reuseport hash over address and port).
 * Each INVITE reaches it with the TLS (TCP) port as sent-by and the forwarding worker in `wport`; its
 * answers come back over its one connection and the holder hands them on. Control section on
 * 127.0.150.69, linphonec on .61, baresip callers on .62-.68.
 */
describe.skipIf(!hasPhones)('linphonec on TLS and TCP with worker processes', () => {
  const CALLERS = ['301', '303', '304', '301', '303', '304', '301', '303'];
  let cs: TestControlSection;
  beforeAll(async () => {
    cs = await startTestControlSection('127.0.150.69', {
      sip: 'transports = ["udp", "tcp", "tls"]', tables: `[sip.tls]\nport = ${await freeTcpPort('127.0.150.69')}`, extensions: PW,
    });
  }, 30000);
  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await cs?.stop();
  });

  for (const lt of ['tls', 'tcp'] as const) test(`callers on both workers reach linphonec over its ${lt.toUpperCase()} connection: established, RTP both ways, BYE`, () => withLogs(async () => {
    const listener = lt === 'tls' ? cs.config.sip.tls.port : cs.port;
    const ip = '127.0.150.61';
    const l = startLinphone({ ip, port: await freeTcpPort(ip), rtpPort: await freePort(ip), user: '302', password: PW['302'], domain: DOMAIN,
      proxy: `127.0.150.69:${listener}`, transport: lt, ...(lt === 'tls' ? { rootCa: join(cs.config.dataDir, TLS_DIR, SIP_CERT_FILES.cert) } : {}) });
    running.push(l);
    await l.waitFor(/moving from state \[LinphoneRegistrationProgress\] to \[LinphoneRegistrationOk\]/, 10000);
    await Bun.sleep(300); // the binding and the connection's holder reach the other worker
    for (const [i, user] of CALLERS.entries()) {
      const cip = `127.0.150.${62 + (i % 7)}`;
      const b = startBaresip({ ip: cip, port: await freePort(cip), user, password: PW[user], domain: DOMAIN, proxy: `127.0.150.69:${cs.port}` });
      running.push(b);
      await b.waitFor(/200 OK .*\[\d+ bindings?\]/, 10000);
      const l0 = l.log().length;
      b.send(`/dial sip:302@${DOMAIN}`);
      await b.waitFor(/Call established/);
      await l.waitFor(new RegExp(`Media streams established with sip:${user}@office\\.lan`), 8000, l0);
      await Bun.sleep(700);
      b.send('/hangup');
      await b.waitFor(/packets:\s+\d+\s+\d+/, 6000);
      await l.waitFor(/Call \d+ with sip:\d+@office\.lan ended/, 6000, l0);
      const stats = baresipRtp(b.log());
      expect(stats.tx).toBeGreaterThan(10);
      expect(stats.rx).toBeGreaterThan(10);
      running.splice(running.indexOf(b), 1);
      await b.stop();
    }
    const vias = [...l.log().matchAll(new RegExp(`^INVITE sip:302@[^\\n]*\\nVia: SIP/2\\.0/${lt.toUpperCase()} 127\\.0\\.150\\.69:(\\d+);([^\\n]*)`, 'gm'))];
    expect(vias.length).toBeGreaterThanOrEqual(CALLERS.length);
    expect(new Set(vias.map((m) => m[1]))).toEqual(new Set([String(listener)]));
    const workers = new Set(vias.map((m) => /wport=(\d+)/.exec(m[2])?.[1]));
    console.log(`${lt.toUpperCase()} port ${listener}; workers (wport) that forwarded the INVITEs to linphonec: ${[...workers].join(', ')}`);
    expect(workers.has(undefined)).toBe(false);
    expect(workers.size).toBe(2);
  }), 120000);
});
