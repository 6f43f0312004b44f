import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionService } from '../../../../appliance/admin/extension-service.ts';
import { startAppliance, type RunningAppliance } from '../../../../appliance/runtime/start-appliance.ts';
import { SIP_CERT_FILES } from '../../../../appliance/sip/transport/tls-certificate.ts';
import { TLS_DIR } from '../../../../appliance/tls/certificate.ts';
import { parseConfig } from '../../../../system/config/index.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { headerLines, SipTlsPhone } from '../../../support/sip-tls-phone.ts';
import { freePort, runSipp, SCENARIOS } from '../../../support/sipp.ts';

/**
 * SIP over TLS on a dual-stack appliance (issue 11, IPv6): the TLS listener is on 127.0.160.8
 * and [::1] (same port); a TLS phone (node:tls) on [::1] checks the generated certificate for
 * the address ::1, registers, and takes a call from a sipp phone on UDP/IPv4 (127.0.160.18):
 * Record-Route doubled across both transport and family, ACK and BYE over its TLS connection.
 */
const HOST = '127.0.160.8';
const V6 = '::1';
const UDP_PHONE = '127.0.160.18';
const PW: Record<string, string> = { '201': 'Tls-Six-Pass-201', '301': 'Tls-Six-Pass-301' };
const hasSipp = requireTool('sipp');

let dir: string;
let app: RunningAppliance;
let phone: SipTlsPhone;
let tlsPort: number;

describe.skipIf(!hasSipp)('SIP over TLS on IPv6 (dual stack)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-six-'));
    const config = parseConfig(`data_dir = "${dir}"
[sip]
listen = ["${HOST}", "${V6}"]
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
    const ca = readFileSync(join(dir, TLS_DIR, SIP_CERT_FILES.cert), 'utf8');
    // node:tls checks the certificate against the address connected to (IP SAN ::1).
    phone = await SipTlsPhone.open(V6, V6, tlsPort, ca);
  });
  afterAll(async () => {
    phone?.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('REGISTER over TLS from [::1]: the binding is the IPv6 TLS flow', async () => {
    expect(await phone.register('301', PW['301'], 'office.lan', `sip:301@${phone.hostPort};transport=tls`)).toBe(200);
    expect(app.sip.location.bindings('sip:301@office.lan').map((b) => b.source)).toEqual([`tls:${V6}:${phone.port}`]);
  });

  test('a UDP/IPv4 caller reaches the TLS/IPv6 phone: Via TLS [::1], Record-Route TLS [::1] over UDP IPv4, ACK and BYE routed', async () => {
    const caller = runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', '301', '-au', '201', '-ap', PW['201'],
      '-key', 'caller', '201', `${HOST}:${app.sip.port}`, '-i', UDP_PHONE, '-p', String(await freePort(UDP_PHONE)), '-m', '1'], 15);
    const invite = await phone.waitFor((m) => m.startsWith('INVITE '), 8000);
    expect(invite).toBeDefined();
    expect(invite!).toStartWith(`INVITE sip:301@[::1]:${phone.port};transport=tls SIP/2.0`);
    expect(headerLines(invite!, 'Via')[0]).toMatch(new RegExp(`^SIP/2\\.0/TLS \\[::1\\]:\\d+;branch=z9hG4bK`));
    const routes = headerLines(invite!, 'Record-Route');
    expect(routes).toHaveLength(2);
    expect(routes[0]).toMatch(new RegExp(`^<sip:\\[::1\\]:${tlsPort};transport=tls;lr;dlg=[0-9a-f]{20}>$`));
    expect(routes[1]).toMatch(new RegExp(`^<sip:${HOST.replace(/\./g, '\\.')}:${app.sip.port};lr;dlg=[0-9a-f]{20}>$`));
    phone.respond(invite!, 180, 'Ringing');
    phone.respond(invite!, 200, 'OK', [`Contact: <sip:301@${phone.hostPort};transport=tls>`, 'Content-Type: application/sdp'],
      `v=0\r\no=- 1 1 IN IP6 ${V6}\r\ns=-\r\nc=IN IP6 ${V6}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`);
    expect(await phone.waitFor((m) => m.startsWith('ACK '), 5000)).toBeDefined();
    const bye = await phone.waitFor((m) => m.startsWith('BYE '), 5000);
    expect(bye).toBeDefined();
    expect(headerLines(bye!, 'Route')).toHaveLength(0);
    phone.respond(bye!, 200, 'OK');
    expect((await caller).code).toBe(0);
  }, 20_000);
});
