import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { startAppliance, type RunningAppliance } from '../../../../appliance/runtime/start-appliance.ts';
import { SIP_CERT_FILES } from '../../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../../appliance/tls/certificate.ts';
import { tlsRoutes } from '../../../../appliance/web/tls/tls-api.ts';
import { loadSipCertificate } from '../../../../appliance/sip/transport/tls-certificate.ts';
import { parseConfig, type ApplianceConfig } from '../../../../system/config/index.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { challengeField, digestAnswer, sipMessage, statusOf } from '../../../support/sip-udp-peer.ts';
import { headerLines, SipTlsPhone } from '../../../support/sip-tls-phone.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../../support/sipp.ts';

/**
 * SIP over TLS on the wire (127.0.110.x): the appliance on .1 with udp, tcp and tls; sipp phones
 * over UDP on .2; TLS phones (node:tls, sipp here has no TLS) on .3 and .4. Registration with
 * digest over TLS; calls UDP → TLS and TLS → UDP with the Record-Route doubled (RFC 5658) and the
 * in-dialog ACK/BYE routed through both entries; sips: only over TLS (RFC 5630).
 */
const HOST = '127.0.110.1';
const UDP_PHONE = '127.0.110.2';
const TLS_PHONE = '127.0.110.3';
const TLS_PHONE2 = '127.0.110.4';
const PW: Record<string, string> = { '201': 'Tls-Wire-Pass-201', '202': 'Tls-Wire-Pass-202', '301': 'Tls-Wire-Pass-301', '302': 'Tls-Wire-Pass-302' };
const hasSipp = requireTool('sipp');

let dir: string;
let config: ApplianceConfig;
let app: RunningAppliance;
let ca: string;
let tlsPort: number;
let phone: SipTlsPhone;
const target = () => `${HOST}:${app.sip.port}`;
const rr = (port: number, tls: boolean) => new RegExp(`^<sip:${HOST.replace(/\./g, '\\.')}:${port}${tls ? ';transport=tls' : ''};lr;dlg=[0-9a-f]{20}>$`);

describe.skipIf(!hasSipp)('SIP over TLS on the wire', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-wire-'));
    config = parseConfig(`data_dir = "${dir}"
[sip]
listen = "${HOST}"
port = 0
transports = ["udp", "tcp", "tls"]
[sip.tls]
port = 0
[dns]
enabled = false
`, 'test');
    app = await startAppliance(config);
    const ext = new ExtensionService(app.store, config.sip.domain);
    for (const [number, password] of Object.entries(PW)) ext.add({ number, password });
    app.dns.invalidate();
    tlsPort = app.sip.transports.tlsPort!;
    ca = readFileSync(join(dir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');
    phone = await SipTlsPhone.open(TLS_PHONE, HOST, tlsPort, ca);
  });
  afterAll(async () => {
    phone?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a self-signed certificate for the appliance\'s names is generated once (key 0600) and is the one served', async () => {
    expect(tlsPort).toBeGreaterThan(0);
    expect(tlsPort).not.toBe(app.sip.port);
    const keyPath = join(dir, TLS_DIR, SIP_CERT_FILES.key);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const again = await loadSipCertificate(config);
    expect(again.createdNow).toBe(false);
    expect(again.names).toEqual(expect.arrayContaining(['office.lan', 'sip.office.lan', HOST]));
    expect(phone.peerFingerprint).toBe(again.fingerprint);
    // The API the System page reads shows it for pinning on phones.
    const body = await (await tlsRoutes(undefined, again)[0].handler({} as never)).json();
    expect(body.sip.fingerprint).toBe(again.fingerprint);
    expect(body.sip.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('REGISTER over TLS with digest: 401, then 200; the binding is the TLS flow', async () => {
    const status = await phone.register('301', PW['301'], 'office.lan', `sip:301@${TLS_PHONE}:${phone.port};transport=tls`);
    expect(status).toBe(200);
    const [b] = app.sip.location.bindings('sip:301@office.lan');
    expect(b.source).toBe(`tls:${TLS_PHONE}:${phone.port}`);
    expect(b.transport).toBe('tls');
  });

  test('UDP phone calls the TLS phone: INVITE over its TLS connection, Record-Route doubled, ACK and BYE routed', async () => {
    const callerPort = await freePort(UDP_PHONE);
    const caller = runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', '301', '-au', '201', '-ap', PW['201'],
      '-key', 'caller', '201', target(), '-i', UDP_PHONE, '-p', String(callerPort), '-m', '1'], 15);
    const invite = await phone.waitFor((m) => m.startsWith('INVITE '), 8000);
    expect(invite).toBeDefined();
    expect(invite!).toStartWith(`INVITE sip:301@${TLS_PHONE}:${phone.port};transport=tls SIP/2.0`);
    expect(headerLines(invite!, 'Via')[0]).toMatch(/^SIP\/2\.0\/TLS 127\.0\.110\.1:\d+;branch=z9hG4bK/);
    // RFC 5658 §4: towards the callee first our TLS side, then our UDP side.
    const routes = headerLines(invite!, 'Record-Route');
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatch(rr(tlsPort, true));
    expect(routes[1]).toMatch(rr(app.sip.port, false));
    phone.respond(invite!, 180, 'Ringing');
    phone.respond(invite!, 200, 'OK', [`Contact: <sip:301@${TLS_PHONE}:${phone.port};transport=tls>`, 'Content-Type: application/sdp'],
      `v=0\r\no=- 1 1 IN IP4 ${TLS_PHONE}\r\ns=-\r\nc=IN IP4 ${TLS_PHONE}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`);
    expect(await phone.waitFor((m) => m.startsWith('ACK '), 5000)).toBeDefined();
    const bye = await phone.waitFor((m) => m.startsWith('BYE '), 5000);
    expect(bye).toBeDefined();
    // Both of our entries were popped: nothing of ours is left in the Route set.
    expect(headerLines(bye!, 'Route')).toHaveLength(0);
    phone.respond(bye!, 200, 'OK');
    const r = await caller;
    expect(r.code).toBe(0);
    // The caller's side got the same two entries in the 200 (its route set is the reverse).
    expect(await sippMessages(r)).toMatch(/SIP\/2\.0 200 OK[\s\S]*Record-Route: +<sip:127\.0\.110\.1:\d+;transport=tls;lr;dlg=[0-9a-f]{20}>(?:, +|\r\nRecord-Route: +)<sip:127\.0\.110\.1:\d+;lr;dlg=/);
  }, 20_000);

  test('TLS phone calls a UDP phone: 407 over TLS, then the call, its BYE over TLS reaches the UDP phone', async () => {
    const port = await freePort(UDP_PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '202', '-au', '202', '-ap', PW['202'],
      '-key', 'expires', '3600', target(), '-i', UDP_PHONE, '-p', String(port), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', UDP_PHONE, '-p', String(port), '-m', '1'], 15);
    const callId = 'tls-to-udp-1';
    const me = `${TLS_PHONE}:${phone.port}`;
    const invite = (cseq: number, auth?: string) => sipMessage('INVITE sip:202@office.lan SIP/2.0', [
      `Via: SIP/2.0/TLS ${me};branch=z9hG4bK-t2u-${cseq};rport`, 'Max-Forwards: 70', 'From: <sip:301@office.lan>;tag=t2u',
      'To: <sip:202@office.lan>', `Call-ID: ${callId}`, `CSeq: ${cseq} INVITE`, `Contact: <sip:301@${me};transport=tls>`,
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []), 'Content-Type: application/sdp',
    ], `v=0\r\no=- 1 1 IN IP4 ${TLS_PHONE}\r\ns=-\r\nc=IN IP4 ${TLS_PHONE}\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n`);
    phone.send(invite(1));
    const challenge = await phone.waitFor((m) => m.includes(callId) && statusOf(m) === 407);
    expect(challenge).toBeDefined();
    phone.send(sipMessage('ACK sip:202@office.lan SIP/2.0', [`Via: SIP/2.0/TLS ${me};branch=z9hG4bK-t2u-1;rport`, 'Max-Forwards: 70',
      'From: <sip:301@office.lan>;tag=t2u', headerLines(challenge!, 'To').map((t) => `To: ${t}`)[0], `Call-ID: ${callId}`, 'CSeq: 1 ACK']));
    phone.send(invite(2, digestAnswer({ user: '301', realm: challengeField(challenge!, 'realm')!, password: PW['301'], method: 'INVITE', uri: 'sip:202@office.lan', nonce: challengeField(challenge!, 'nonce')! })));
    const ok = await phone.waitFor((m) => m.includes(callId) && statusOf(m) === 200 && m.includes('CSeq: 2 INVITE'), 8000);
    expect(ok).toBeDefined();
    const routes = headerLines(ok!, 'Record-Route');
    // Towards the callee (UDP) first, then towards us (TLS): our route set is the reverse.
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatch(rr(app.sip.port, false));
    expect(routes[1]).toMatch(rr(tlsPort, true));
    const routeSet = [...routes].reverse().map((r) => `Route: ${r}`);
    const contact = /<([^>]+)>/.exec(headerLines(ok!, 'Contact')[0])![1];
    const toHdr = `To: ${headerLines(ok!, 'To')[0]}`;
    phone.send(sipMessage(`ACK ${contact} SIP/2.0`, [`Via: SIP/2.0/TLS ${me};branch=z9hG4bK-t2u-ack;rport`, 'Max-Forwards: 70',
      'From: <sip:301@office.lan>;tag=t2u', toHdr, `Call-ID: ${callId}`, 'CSeq: 2 ACK', ...routeSet]));
    await Bun.sleep(200);
    phone.send(sipMessage(`BYE ${contact} SIP/2.0`, [`Via: SIP/2.0/TLS ${me};branch=z9hG4bK-t2u-bye;rport`, 'Max-Forwards: 70',
      'From: <sip:301@office.lan>;tag=t2u', toHdr, `Call-ID: ${callId}`, 'CSeq: 3 BYE', ...routeSet]));
    expect(await phone.waitFor((m) => m.includes(callId) && statusOf(m) === 200 && m.includes('CSeq: 3 BYE'), 5000)).toBeDefined();
    const answered = await callee.done;
    expect(answered.code).toBe(0);
    // The UDP side saw our UDP entry on top and the TLS one below it.
    expect(await sippMessages(answered)).toMatch(/Record-Route: +<sip:127\.0\.110\.1:\d+;lr;dlg=[0-9a-f]{20}>(?:, +|\r\nRecord-Route: +)<sip:127\.0\.110\.1:\d+;transport=tls;lr;dlg=[0-9a-f]{20}>/);
  }, 25_000);

  test('sips: goes over TLS only: a UDP-only callee gets 480, a TLS callee the request with sips: Record-Route', async () => {
    const gateway = await SipTlsPhone.open(TLS_PHONE2, HOST, tlsPort, ca);
    try {
      expect(await gateway.register('302', PW['302'], 'office.lan', `sips:302@${TLS_PHONE2}:${gateway.port}`)).toBe(200);
      const me = `${TLS_PHONE2}:${gateway.port}`;
      const call = async (callee: string, tag: string): Promise<string | undefined> => {
        const callId = `sips-${tag}`;
        const invite = (cseq: number, auth?: string) => sipMessage(`INVITE sips:${callee}@office.lan SIP/2.0`, [
          `Via: SIP/2.0/TLS ${me};branch=z9hG4bK-${tag}-${cseq};rport`, 'Max-Forwards: 70', `From: <sips:302@office.lan>;tag=${tag}`,
          `To: <sips:${callee}@office.lan>`, `Call-ID: ${callId}`, `CSeq: ${cseq} INVITE`, `Contact: <sips:302@${me}>`,
          ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
        ]);
        gateway.send(invite(1));
        const ch = await gateway.waitFor((m) => m.includes(callId) && statusOf(m) === 407);
        if (!ch) return undefined;
        gateway.send(invite(2, digestAnswer({ user: '302', realm: 'office.lan', password: PW['302'], method: 'INVITE', uri: `sips:${callee}@office.lan`, nonce: challengeField(ch, 'nonce')! })));
        return callId;
      };
      // 202 is registered over UDP only (previous test): RFC 5630 forbids the non-TLS hop.
      const id1 = await call('202', 'u1');
      const refused = await gateway.waitFor((m) => m.includes(id1!) && m.includes('CSeq: 2 INVITE') && statusOf(m)! >= 400);
      expect(statusOf(refused)).toBe(480);
      // 301 is the TLS phone: reached, with a sips: Record-Route on both sides (both legs TLS: one entry).
      const before = phone.inbox.length;
      await call('301', 's1');
      const inv = await phone.waitFor((m) => phone.inbox.indexOf(m) >= before && m.startsWith('INVITE ') && m.includes('sips-s1'), 5000);
      expect(inv).toBeDefined();
      const routes = headerLines(inv!, 'Record-Route');
      expect(routes).toHaveLength(1);
      expect(routes[0]).toMatch(new RegExp(`^<sips:127\\.0\\.110\\.1:${tlsPort};lr;dlg=[0-9a-f]{20}>$`));
      phone.respond(inv!, 486, 'Busy Here');
      expect(statusOf(await gateway.waitFor((m) => m.includes('sips-s1') && m.includes('CSeq: 2 INVITE') && statusOf(m)! >= 400))).toBe(486);
    } finally {
      gateway.close();
    }
  }, 20_000);
});
