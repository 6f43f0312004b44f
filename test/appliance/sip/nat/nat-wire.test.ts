import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { presentBinding } from '../../../../appliance/web/api/registrations-api.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { requireTool } from '../../../support/require-tool.ts';
import { challengeField, digestAnswer, sipMessage, statusOf } from '../../../support/sip-udp-peer.ts';
import { freePort, runSipp, SCENARIOS, SHARED, sippMessages, startSippUas } from '../../../support/sipp.ts';
import { connectFrom, options, type RawClient } from '../transport/support/tcp-client.ts';
import { NatPhone } from './support/nat-phone.ts';

/**
 * Phones behind NAT on the wire (issue 11), against an in-process appliance on 127.0.130.1
 * with NAT pings off (so sipp callees see only the calls) and one on 127.0.130.50 with pings
 * every second. A phone "behind NAT" registers with a private Contact and Via (10.9.9.9:5060)
 * and sends from 127.0.130.x: it must be reached there, never at 10.9.9.9 — every send of the
 * appliances is watched, and one to an address outside 127/8 is refused and recorded.
 */
const HOST = '127.0.130.1';
const PINGING = '127.0.130.50';
const NAT_UDP = '127.0.130.2';
const NAT_TCP = '127.0.130.4';
const LAN = '127.0.130.5';
const SILENT = '127.0.130.6';
const FLOOD = '127.0.130.7';
const GATEWAY = '127.0.130.20';
const PW: Record<string, string> = { '201': 'Nat-Pass-201-x', '202': 'Nat-Pass-202-x', '203': 'Nat-Pass-203-x', '204': 'Nat-Pass-204-x' };
const hasSipp = requireTool('sipp');
const sharedUac = join(SHARED, 'bench/sipp/uac-call.xml');

let ap: TestAppliance;
let pinging: TestAppliance;
/** Destinations outside loopback the appliances tried (refused, never sent). */
const outside: string[] = [];
const tcpClients: RawClient[] = [];

/** Watches every send of an appliance: loopback goes out, anything else is refused and recorded. */
function guard(t: TestAppliance): void {
  const { udp, tcp } = t.app.sip.transports;
  const udpSend = udp.send.bind(udp);
  const tcpSend = tcp.send.bind(tcp);
  const loopback = (a: string) => a.startsWith('127.') || a === '::1';
  udp.send = (address, port, data, fromShared) => (loopback(address) ? udpSend(address, port, data, fromShared) : (outside.push(`udp:${address}:${port}`), false));
  tcp.send = (address, port, data, key, connect) => (loopback(address) ? tcpSend(address, port, data, key, connect) : (outside.push(`tcp:${address}:${port}`), false));
}

/**
 * Waits until the appliance takes REGISTERs (a connection control section that just started may
 * shed new work with 503 while its load monitor settles, `[overload]`): a challenge (401) says so.
 */
async function settle(t: TestAppliance): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, FLOOD, () => r()));
  let status: number | undefined;
  sock.on('message', (m) => (status = statusOf(m.toString('latin1'))));
  for (let i = 0; i < 50 && status !== 401; i++) {
    status = undefined;
    sock.send(sipMessage('REGISTER sip:office.lan SIP/2.0', [
      `Via: SIP/2.0/UDP ${FLOOD}:${sock.address().port};branch=z9hG4bK-settle${i};rport`, 'From: <sip:201@office.lan>;tag=s', 'To: <sip:201@office.lan>',
      `Call-ID: settle-${i}`, `CSeq: ${i + 1} REGISTER`, 'Max-Forwards: 70',
    ]), t.port, t.host);
    await Bun.sleep(100);
  }
  sock.close();
  expect(status).toBe(401);
}

const binding = (t: TestAppliance, ext: string) => t.app.sip.location.bindings(`sip:${ext}@office.lan`)[0];

async function registerNat(ext: string, port: number, transport: 'u1' | 't1' = 'u1') {
  return runSipp(['-t', transport, '-sf', join(SCENARIOS, 'register-nat.xml'), '-s', ext, '-au', ext, '-ap', PW[ext],
    '-key', 'expires', '3600', `${HOST}:${ap.port}`, '-i', NAT_UDP, '-p', String(port), '-m', '1'], 10);
}

describe.skipIf(!hasSipp)('phones behind NAT', () => {
  beforeAll(async () => {
    ap = await startTestAppliance(HOST, { sip: `trusted = ["${GATEWAY}/32"]\nnat_ping_interval = 0\n[overload]\nshed_lag_ms = 10000\ncalm_lag_ms = 9000` });
    pinging = await startTestAppliance(PINGING, { sip: 'nat_ping_interval = 1\nnat_ping_failures = 3\n[overload]\nshed_lag_ms = 10000\ncalm_lag_ms = 9000' });
    for (const [n, pw] of Object.entries(PW)) {
      ap.addExtension(n, pw);
      pinging.addExtension(n, pw);
    }
    guard(ap);
    guard(pinging);
    // `[overload]` thresholds raised: sipp starting in this process shows as event-loop lag, which
    // would shed REGISTERs (503) of this in-process appliance; load shedding is not under test here.
    await settle(ap);
    await settle(pinging);
  });
  afterAll(async () => {
    for (const c of tcpClients) c.socket.destroy();
    await ap?.stop();
    await pinging?.stop();
  });

  test('a phone registering from behind NAT (private Contact and Via) is bound at its source and flagged, in the store and the API', async () => {
    const port = await freePort(NAT_UDP);
    const r = await registerNat('201', port);
    if (r.code !== 0) console.log(r.out.slice(-2000));
    expect(r.code).toBe(0);
    const b = binding(ap, '201');
    expect(b).toMatchObject({ contact: 'sip:201@10.9.9.9:5060;transport=UDP', source: `udp:${NAT_UDP}:${port}`, behindNat: true });
    ap.app.sip.location.flush();
    const stored = ap.app.store.registrations.loadActive().find((x) => x.aor === 'sip:201@office.lan')!;
    expect(presentBinding(stored, 'office.lan')).toMatchObject({ extension: '201', source: `udp:${NAT_UDP}:${port}`, behindNat: true });
    // Our responses went to where it sent from, never to 10.9.9.9.
    expect(await sippMessages(r)).toContain('SIP/2.0 200 OK');
    expect(outside).toEqual([]);
  });

  test('a phone on the LAN (Contact = source) is not flagged', async () => {
    const port = await freePort(LAN);
    const r = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '202', '-au', '202', '-ap', PW['202'],
      '-key', 'expires', '3600', `${HOST}:${ap.port}`, '-i', LAN, '-p', String(port), '-m', '1'], 10);
    expect(r.code).toBe(0);
    expect(binding(ap, '202').behindNat).toBeUndefined();
    ap.app.sip.location.flush();
    expect(presentBinding(ap.app.store.registrations.loadActive().find((x) => x.aor === 'sip:202@office.lan')!, 'office.lan').behindNat).toBe(false);
  });

  test.skipIf(!existsSync(sharedUac))('INVITEs reach the NAT phone at its source (Request-URI its Contact), before and after it re-registers', async () => {
    const port = await freePort(NAT_UDP);
    for (const round of [1, 2]) {
      expect((await registerNat('203', port)).code).toBe(0);
      expect(binding(ap, '203').source).toBe(`udp:${NAT_UDP}:${port}`);
      const callee = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', NAT_UDP, '-p', String(port), '-m', '1'], 15);
      const caller = await runSipp(['-sf', sharedUac, '-s', '203', `${HOST}:${ap.port}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 15);
      const answered = await callee.done;
      expect([round, caller.code, answered.code]).toEqual([round, 0, 0]);
      expect(await sippMessages(answered)).toMatch(/INVITE sip:203@10\.9\.9\.9:5060;transport=UDP SIP\/2\.0/);
    }
    expect(outside).toEqual([]);
  }, 40_000);

  test('over TCP the INVITE takes the connection the REGISTER came on (RFC 5626 flow); once it is gone, the private Contact is never tried', async () => {
    const c = await connectFrom(NAT_TCP, HOST, ap.port);
    tcpClients.push(c);
    const reg = (seq: number, auth?: string) => sipMessage('REGISTER sip:office.lan SIP/2.0', [
      `Via: SIP/2.0/TCP 10.9.9.9:5060;branch=z9hG4bK-tcpnat${seq}`, 'From: <sip:204@office.lan>;tag=tn', 'To: <sip:204@office.lan>',
      'Call-ID: tcp-nat-204', `CSeq: ${seq} REGISTER`, 'Contact: <sip:204@10.9.9.9:5060;transport=tcp>', 'Expires: 3600', 'Max-Forwards: 70',
      ...(auth ? [`Authorization: ${auth}`] : []),
    ]);
    c.socket.write(reg(1));
    const challenge = await c.waitFor((t) => t.includes('SIP/2.0 401'), 2000);
    const nonce = challengeField(challenge, 'nonce')!;
    c.socket.write(reg(2, digestAnswer({ user: '204', realm: 'office.lan', password: PW['204'], method: 'REGISTER', uri: 'sip:office.lan', nonce })));
    await c.waitFor((t) => /SIP\/2\.0 200 OK[^]*CSeq: 2 REGISTER/.test(t), 2000);
    expect(binding(ap, '204')).toMatchObject({ source: `tcp:${NAT_TCP}:${c.socket.localPort}`, behindNat: true });

    const caller = dgram.createSocket('udp4');
    await new Promise<void>((r) => caller.bind(0, GATEWAY, () => r()));
    const got: string[] = [];
    caller.on('message', (m) => got.push(m.toString('latin1')));
    const invite = (n: number) => sipMessage('INVITE sip:204@office.lan SIP/2.0', [
      `Via: SIP/2.0/UDP ${GATEWAY}:${caller.address().port};branch=z9hG4bK-gw${n};rport`, `From: <sip:gw@${GATEWAY}>;tag=gw${n}`,
      'To: <sip:204@office.lan>', `Call-ID: tcp-nat-call-${n}`, `CSeq: 1 INVITE`, `Contact: <sip:gw@${GATEWAY}:${caller.address().port}>`, 'Max-Forwards: 70',
    ]);
    caller.send(invite(1), ap.port, HOST);
    const inv = await c.waitFor((t) => t.includes('Call-ID: tcp-nat-call-1'), 3000);
    expect(inv).toMatch(/INVITE sip:204@10\.9\.9\.9:5060;transport=tcp SIP\/2\.0/);

    // The phone's connection goes away; the next call must not try 10.9.9.9.
    c.socket.destroy();
    const deadline = Date.now() + 3000;
    while (ap.app.sip.transports.tcp.hasConnection(`${NAT_TCP}:${c.socket.localPort}`) && Date.now() < deadline) await Bun.sleep(20);
    caller.send(invite(2), ap.port, HOST);
    const until = Date.now() + 5000;
    while (!got.some((m) => m.includes('tcp-nat-call-2') && (statusOf(m) ?? 0) >= 300) && Date.now() < until) await Bun.sleep(20);
    const final = got.find((m) => m.includes('tcp-nat-call-2') && (statusOf(m) ?? 0) >= 300);
    // The flow is gone: no new connection is opened, the branch fails at once (430 Flow Failed,
    // RFC 5626 §5.3.1), well before Timer B; the caller hears 480 (response-selection.ts).
    expect(statusOf(final)).toBe(480);
    caller.close();
    expect(outside).toEqual([]);
  }, 20_000);

  test('CRLF keep-alive over TCP: CRLFCRLF gets one CRLF pong; a single CRLF between messages gets none and the messages are read', async () => {
    const c = await connectFrom(NAT_TCP, HOST, ap.port);
    tcpClients.push(c);
    const via = `${NAT_TCP}:${c.socket.localPort}`;
    c.socket.write(`${options(HOST, via, 'TCP', 'ka-1')}\r\n${options(HOST, via, 'TCP', 'ka-2')}`);
    await c.waitFor((t) => t.includes('Call-ID: ka-2'), 2000);
    const before = c.received();
    expect(before).toContain('Call-ID: ka-1');
    c.socket.write('\r\n\r\n');
    await c.waitFor((t) => t.length === before.length + 2, 1000);
    await Bun.sleep(200);
    expect(c.received().slice(before.length)).toBe('\r\n');
    c.socket.destroy();
  });

  test('a flood of 1 MiB of CRLFs: nothing buffered, at most one pong per ping, the connection still reads SIP', async () => {
    const c = await connectFrom(FLOOD, HOST, ap.port);
    tcpClients.push(c);
    const via = `${FLOOD}:${c.socket.localPort}`;
    c.socket.write(options(HOST, via, 'TCP', 'flood-0'));
    await c.waitFor((t) => t.includes('Call-ID: flood-0'), 2000);
    const start = c.received().length;
    const chunk = Buffer.from('\r\n\r\n'.repeat(16384)); // 64 KiB, 16,384 pings
    const t0 = performance.now();
    for (let i = 0; i < 16; i++) c.socket.write(chunk);
    c.socket.write(options(HOST, via, 'TCP', 'flood-1'));
    const text = await c.waitFor((t) => t.includes('Call-ID: flood-1'), 5000);
    const pongBytes = text.indexOf('SIP/2.0', start) - start;
    console.log(`CRLF flood: 262,144 pings in ${Math.round(performance.now() - t0)} ms, ${pongBytes / 2} pongs back`);
    expect(pongBytes).toBeGreaterThan(0);
    expect(pongBytes % 2).toBe(0);
    expect(pongBytes / 2).toBeLessThanOrEqual(262_144);
    expect(/^(\r\n)*$/.test(text.slice(start, start + pongBytes))).toBe(true);
    expect(c.closed()).toBe(false);
    expect(ap.app.sip.transports.tcp.queuedBytes).toBe(0);
    c.socket.destroy();
  }, 15_000);

  test('a CRLF keep-alive datagram over UDP is ignored silently; the next OPTIONS is answered', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, FLOOD, () => r()));
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString('latin1')));
    for (const ka of ['\r\n\r\n', '\r\n', '\r\n\r\n\r\n\r\n']) sock.send(ka, ap.port, HOST);
    await Bun.sleep(300);
    expect(got).toEqual([]);
    sock.send(options(HOST, `${FLOOD}:${sock.address().port}`, 'UDP', 'after-ka'), ap.port, HOST);
    const deadline = Date.now() + 2000;
    while (!got.some((m) => m.includes('after-ka')) && Date.now() < deadline) await Bun.sleep(10);
    expect(statusOf(got[0])).toBe(200);
    sock.close();
  });

  test('OPTIONS pings every interval reach a NAT phone (sipp answering 405: still alive), from the port it registered to', async () => {
    const port = await freePort(NAT_UDP);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-nat.xml'), '-s', '201', '-au', '201', '-ap', PW['201'],
      '-key', 'expires', '3600', `${PINGING}:${pinging.port}`, '-i', NAT_UDP, '-p', String(port), '-m', '1'], 10);
    if (reg.code !== 0) console.log(reg.out.slice(-800));
    expect(reg.code).toBe(0);
    const t0 = performance.now();
    const pings = await runSipp(['-sf', join(SCENARIOS, 'uas-options.xml'), '-i', NAT_UDP, '-p', String(port), '-m', '3'], 10);
    const ms = performance.now() - t0;
    if (pings.code !== 0) console.log(pings.out.slice(-1500));
    expect(pings.code).toBe(0);
    const trace = await sippMessages(pings);
    expect(trace).toMatch(/OPTIONS sip:201@10\.9\.9\.9:5060;transport=UDP SIP\/2\.0/);
    expect(trace).toContain(`${PINGING}:${pinging.port}`); // sipp's log names the sender: the shared port
    // The first ping within one interval, then one a second: 3 in about 2-3 s.
    expect(ms).toBeLessThan(6000);
    await Bun.sleep(1500);
    expect(binding(pinging, '201')).toBeDefined();
    expect(pinging.app.sip.natPinger!.stats.removed).toBe(0);
  }, 20_000);

  test('a LAN phone is never pinged; a silent NAT phone is removed after 3 lost pings, a live one stays', async () => {
    const lan = await NatPhone.open(LAN, '202', null);
    const silent = await NatPhone.open(SILENT, '203');
    const live = await NatPhone.open(NAT_UDP, '204');
    try {
      silent.optionsStatus = undefined;
      expect(await lan.register('202', PW['202'], PINGING, pinging.port)).toBe(200);
      expect(await silent.register('203', PW['203'], PINGING, pinging.port)).toBe(200);
      expect(await live.register('204', PW['204'], PINGING, pinging.port)).toBe(200);
      expect(binding(pinging, '202').behindNat).toBeUndefined();
      const deadline = Date.now() + 9000;
      while (binding(pinging, '203') && Date.now() < deadline) await Bun.sleep(50);
      expect(binding(pinging, '203')).toBeUndefined();
      const silentPings = silent.requests('OPTIONS');
      expect(silentPings.length).toBeGreaterThanOrEqual(3);
      // Every ping, retransmissions included, came from the shared port the phone registered to.
      for (const p of [...silentPings, ...live.requests('OPTIONS')]) expect(p.fromPort).toBe(pinging.port);
      expect(live.requests('OPTIONS').length).toBeGreaterThanOrEqual(3);
      expect(binding(pinging, '204')).toBeDefined();
      expect(lan.requests('OPTIONS')).toEqual([]);
      pinging.app.sip.location.flush();
      expect(pinging.app.store.registrations.loadActive().some((b) => b.aor === 'sip:203@office.lan')).toBe(false);
      expect(outside).toEqual([]);
    } finally {
      lan.close();
      silent.close();
      live.close();
    }
  }, 20_000);
});
