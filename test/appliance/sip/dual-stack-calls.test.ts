import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { requireTool } from '../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../support/appliance.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * Dual stack on the wire (issue 11, IPv6): the appliance listens on 127.0.160.1 and [::1] at
 * once; sipp phone A registers over IPv6, phone B over IPv4, and they call each other both
 * ways. The proxy bridges the families: Via and Record-Route name our address of the family
 * each leg uses (RFC 5118), Record-Route doubles (RFC 5658 §4), and ACK/BYE cross families.
 */
const HOST = '127.0.160.1';
const V6 = '::1';
const PHONE_B = '127.0.160.10';
const PW: Record<string, string> = { '201': 'Alpha-Pass-201', '202': 'Bravo-Pass-202', '203': 'Charlie-Pass-203' };
const hasSipp = requireTool('sipp');

let ap: TestAppliance;
let portA = 0;
let portB = 0;

/** sipp's remote address for a phone of that family. */
const target = (ip: string) => (ip.includes(':') ? `[${V6}]:${ap.port}` : `${HOST}:${ap.port}`);

/** sipp's transport option: UDP (one socket) or TCP (one connection, t1). */
const mode = (tcp: boolean) => (tcp ? ['-t', 't1'] : []);

function register(ext: string, ip: string, port: number, tcp = false) {
  return runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext],
    '-key', 'expires', '3600', target(ip), '-i', ip, '-p', String(port), '-m', '1', ...mode(tcp)], 10);
}

/** `caller` at callerIp:callerPort calls `callee` (a sipp UAS on its registered address). */
async function call(caller: string, callerIp: string, callerPort: number, callee: string, calleeIp: string, calleePort: number, tcp: { caller?: boolean; callee?: boolean } = {}) {
  const uas = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', calleeIp, '-p', String(calleePort), '-m', '1', ...mode(!!tcp.callee)], 15);
  const uac = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', callee, '-au', caller, '-ap', PW[caller],
    '-key', 'caller', caller, target(callerIp), '-i', callerIp, '-p', String(callerPort), '-m', '1', ...mode(!!tcp.caller)], 15);
  const answered = await uas.done;
  return { uac, uas: answered, callerTrace: await sippMessages(uac), calleeTrace: await sippMessages(answered) };
}

const esc = (s: string) => s.replace(/[.[\]]/g, '\\$&');

/** The Record-Route header values of the first message in a trace that starts with `start`. */
function recordRoutes(trace: string, start: RegExp): string[] {
  const startLine = (m: string) => m.split('\n').map((l) => l.trim()).find((l) => /^[A-Z]+ \S+ SIP\/2\.0$|^SIP\/2\.0 \d{3} /.test(l)) ?? '';
  const msg = trace.split(/^-{10,}.*$/m).find((m) => start.test(startLine(m)));
  return [...(msg ?? '').matchAll(/^Record-Route:\s*(.+)$/gim)].flatMap((m) => m[1].split(/,\s*(?=<)/)).map((s) => s.trim());
}

describe.skipIf(!hasSipp)('dual stack: IPv6 and IPv4 phones call each other through one appliance', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { listen: [HOST, V6] });
    for (const [n, pw] of Object.entries(PW)) ap.addExtension(n, pw);
    portA = await freePort(V6);
    portB = await freePort(PHONE_B);
  });
  afterAll(async () => {
    await ap?.stop();
  });

  test('the same port on both families; A registers over IPv6, B over IPv4, each binding recording its source', async () => {
    const a = await register('201', V6, portA);
    expect(a.code).toBe(0);
    const traceA = await sippMessages(a);
    // Our 200 names the phone's IPv6 Contact in brackets (RFC 5118 §4).
    expect(traceA).toMatch(/SIP\/2.0 200 OK[\s\S]*Contact: +<sip:201@\[::1\]:\d+;transport=UDP>;expires=3600/);
    expect((await register('202', PHONE_B, portB)).code).toBe(0);
    expect(ap.app.sip.location.bindings('sip:201@office.lan').map((b) => b.source)).toEqual([`udp:${V6}:${portA}`]);
    // Its bracketed Contact is its source address: not taken for a phone behind NAT.
    expect(ap.app.sip.location.bindings('sip:201@office.lan').map((b) => b.behindNat ?? false)).toEqual([false]);
    expect(ap.app.sip.location.bindings('sip:202@office.lan').map((b) => b.source)).toEqual([`udp:${PHONE_B}:${portB}`]);
  });

  test('A (IPv6) calls B (IPv4): 180/200, doubled Record-Route, Via per family, ACK and BYE across families', async () => {
    const r = await call('201', V6, portA, '202', PHONE_B, portB);
    expect(r.uac.code).toBe(0);
    expect(r.uas.code).toBe(0);
    expect(r.callerTrace).toContain('SIP/2.0 180 Ringing');
    // The INVITE B got left over IPv4: our Via names our IPv4 address; Record-Route has the
    // IPv4 entry (B's side) on top of the IPv6 one (A's side).
    expect(r.calleeTrace).toMatch(new RegExp(`INVITE sip:202@${esc(PHONE_B)}:${portB}[\\s\\S]*?Via: SIP/2.0/UDP ${esc(HOST)}:${ap.port};branch=`));
    const rr = recordRoutes(r.calleeTrace, /^INVITE /);
    expect(rr).toHaveLength(2);
    expect(rr[0]).toStartWith(`<sip:${HOST}:${ap.port};lr;`);
    expect(rr[1]).toStartWith(`<sip:[::1]:${ap.port};lr;`);
    // A's 200 carries the same set (A's route set is its reverse: IPv6 entry first).
    expect(recordRoutes(r.callerTrace, /^SIP\/2.0 200 OK/)).toEqual(rr);
    // ACK and BYE from A (to our IPv6 entry) crossed to B's Contact over IPv4.
    for (const method of ['ACK', 'BYE']) {
      expect(r.calleeTrace).toMatch(new RegExp(`${method} sip:${esc(PHONE_B)}:${portB};transport=UDP SIP/2.0\\s+Via: SIP/2.0/UDP ${esc(HOST)}:${ap.port};`));
    }
    expect(r.callerTrace).toMatch(/SIP\/2.0 200 OK[\s\S]*CSeq: 3 BYE/);
  });

  test('B (IPv4) calls A (IPv6): the same the other way, A reached at its IPv6 source', async () => {
    const r = await call('202', PHONE_B, portB, '201', V6, portA);
    expect(r.uac.code).toBe(0);
    expect(r.uas.code).toBe(0);
    expect(r.calleeTrace).toMatch(new RegExp(`INVITE sip:201@\\[::1\\]:${portA}[\\s\\S]*?Via: SIP/2.0/UDP \\[::1\\]:${ap.port};branch=`));
    const rr = recordRoutes(r.calleeTrace, /^INVITE /);
    expect(rr).toHaveLength(2);
    expect(rr[0]).toStartWith(`<sip:[::1]:${ap.port};lr;`);
    expect(rr[1]).toStartWith(`<sip:${HOST}:${ap.port};lr;`);
    for (const method of ['ACK', 'BYE']) {
      expect(r.calleeTrace).toMatch(new RegExp(`${method} sip:\\[::1\\]:${portA};transport=UDP SIP/2.0\\s+Via: SIP/2.0/UDP \\[::1\\]:${ap.port};`));
    }
    expect(r.callerTrace).toMatch(/SIP\/2.0 200 OK[\s\S]*CSeq: 3 BYE/);
  });

  test('TCP over IPv6: C registers over TCP from [::1]; B (UDP, IPv4) calls C over a new TCP connection to [::1], and C calls B over TCP', async () => {
    const portC = await freeTcpPort(V6);
    expect((await register('203', V6, portC, true)).code).toBe(0);
    expect(ap.app.sip.location.bindings('sip:203@office.lan').map((b) => b.source)).toEqual([`tcp:${V6}:${portC}`]);
    // sipp closed its connection when the run ended: the appliance connects to the Contact.
    const bc = await call('202', PHONE_B, portB, '203', V6, portC, { callee: true });
    expect([bc.uac.code, bc.uas.code]).toEqual([0, 0]);
    expect(bc.calleeTrace).toMatch(new RegExp(`INVITE sip:203@\\[::1\\]:${portC};transport=TCP SIP/2.0\\s+Via: SIP/2.0/TCP \\[::1\\]:${ap.port};`));
    const rr = recordRoutes(bc.calleeTrace, /^INVITE /);
    expect(rr).toEqual([expect.stringMatching(new RegExp(`^<sip:\\[::1\\]:${ap.port};lr;`)), expect.stringMatching(new RegExp(`^<sip:${esc(HOST)}:${ap.port};lr;`))]);
    expect(bc.calleeTrace).toMatch(/BYE sip:\[::1\]/);
    const cb = await call('203', V6, await freeTcpPort(V6), '202', PHONE_B, portB, { caller: true });
    expect([cb.uac.code, cb.uas.code]).toEqual([0, 0]);
    expect(cb.callerTrace).toMatch(/SIP\/2.0 200 OK[\s\S]*CSeq: 3 BYE/);
  }, 40000);
});
