import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { findTool, requireTool } from '../../../support/require-tool.ts';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { freePort, freeTcpPort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../../support/sipp.ts';
import { SipUdpPeer, sipMessage } from '../../../support/sip-udp-peer.ts';

/**
 * Calls to other domains (RFC 3263 §4): the appliance on 127.0.140.1 resolves NAPTR → SRV →
 * A through its DNS function, which forwards to a real dnsmasq (127.0.140.2) serving the
 * foreign zones; sipp servers of those domains on 127.0.140.11-17, the caller (extension 201,
 * registered with digest) on 127.0.140.10, a trusted gateway on 127.0.140.20.
 */
const HOST = '127.0.140.1';
const UPSTREAM = '127.0.140.2';
const CALLER = '127.0.140.10';
const GATEWAY = '127.0.140.20';
const S = { naptr: '127.0.140.11', busy: '127.0.140.12', second: '127.0.140.13', silent: '127.0.140.14', third: '127.0.140.15', own: '127.0.140.16', busy2: '127.0.140.17', refused: '127.0.140.18', tcp: '127.0.140.19' };
const PW = 'Alpha-Pass-201';
const ready = requireTool('sipp') && requireTool('dnsmasq') && requireTool('dig');

let ap: TestAppliance;
let dnsmasq: Subprocess | undefined;
const ports: Record<string, number> = {};

async function call(domain: string, callee = 'alice') {
  const callerPort = await freePort(CALLER);
  return runSipp(['-sf', join(SCENARIOS, 'uac-auth-call-domain.xml'), '-s', callee, '-key', 'domain', domain, '-au', '201', '-ap', PW,
    '-key', 'caller', '201', `${HOST}:${ap.port}`, '-i', CALLER, '-p', String(callerPort), '-m', '1'], 20);
}

/** A server on `ip` that answers (or refuses with 503); listening when this resolves. */
const answer = (ip: string) => startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', ip, '-p', String(ports[ip]), '-m', '1'], 20);
const busy = (ip: string) => startSippUas(['-sf', join(SCENARIOS, 'uas-503.xml'), '-i', ip, '-p', String(ports[ip]), '-m', '1'], 20);

describe.skipIf(!ready)('calls to other domains (RFC 3263) through dnsmasq', () => {
  beforeAll(async () => {
    for (const ip of Object.values(S)) ports[ip] = ip === S.refused || ip === S.tcp ? await freeTcpPort(ip) : await freePort(ip);
    const dnsPort = await freePort(UPSTREAM);
    // The appliance first: a hostile zone below points back at its SIP port.
    ap = await startTestAppliance(HOST, {
      sip: `trusted = ["${GATEWAY}/32"]`,
      dns: `enabled = false\nforwarders = ["${UPSTREAM}#${dnsPort}"]`,
    });
    dnsmasq = Bun.spawn([
      findTool('dnsmasq')!, '--no-daemon', '--no-resolv', '--no-hosts', `--listen-address=${UPSTREAM}`, `--port=${dnsPort}`, '--bind-interfaces',
      '--local-ttl=30',
      // other.example: NAPTR SIP+D2U (and a SIP+D2T we do not take first) → SRV → A; the SRV
      // name is one only the NAPTR leads to (not _sip._udp.other.example).
      '--naptr-record=other.example,10,10,S,SIP+D2U,,_sip._udp.servers.other.example',
      '--naptr-record=other.example,20,10,S,SIP+D2T,,_sip._tcp.servers.other.example',
      `--srv-host=_sip._udp.servers.other.example,sip1.other.example,${ports[S.naptr]},10,100`,
      `--host-record=sip1.other.example,${S.naptr}`,
      // busy.example: no NAPTR; SRV priority 10 answers 503, priority 20 answers.
      `--srv-host=_sip._udp.busy.example,a.busy.example,${ports[S.busy]},10,100`,
      `--srv-host=_sip._udp.busy.example,b.busy.example,${ports[S.second]},20,100`,
      `--host-record=a.busy.example,${S.busy}`, `--host-record=b.busy.example,${S.second}`,
      // silent.example: the first server sends nothing at all.
      `--srv-host=_sip._udp.silent.example,a.silent.example,${ports[S.silent]},10,100`,
      `--srv-host=_sip._udp.silent.example,b.silent.example,${ports[S.third]},20,100`,
      `--host-record=a.silent.example,${S.silent}`, `--host-record=b.silent.example,${S.third}`,
      // down.example: both servers answer 503.
      `--srv-host=_sip._udp.down.example,a.down.example,${ports[S.busy]},10,100`,
      `--srv-host=_sip._udp.down.example,b.down.example,${ports[S.busy2]},20,100`,
      `--host-record=a.down.example,${S.busy}`, `--host-record=b.down.example,${S.busy2}`,
      // refused.example: TCP only; the first server refuses the connection (transport error).
      `--srv-host=_sip._tcp.refused.example,a.refused.example,${ports[S.refused]},10,100`,
      `--srv-host=_sip._tcp.refused.example,b.refused.example,${ports[S.tcp]},20,100`,
      `--host-record=a.refused.example,${S.refused}`, `--host-record=b.refused.example,${S.tcp}`,
      // loop.example (hostile): its SRV names the appliance itself.
      `--srv-host=_sip._udp.loop.example,back.loop.example,${ap.port},10,100`,
      `--host-record=back.loop.example,${HOST}`,
      // plain.example: no NAPTR, no SRV: A on 5060 (the address only, as a host).
      `--host-record=plain.example,${S.naptr}`,
    ], { stdout: 'ignore', stderr: 'pipe' });
    for (let i = 0; i < 50; i++) {
      const probe = Bun.spawn(['dig', '-p', String(dnsPort), `@${UPSTREAM}`, '+short', '+tries=1', '+time=1', 'sip1.other.example', 'A'], { stdout: 'pipe' });
      if ((await new Response(probe.stdout).text()).includes(S.naptr)) break;
      await Bun.sleep(100);
    }
    ap.addExtension('201', PW);
    // A name of our own zone, answered by our DNS function (admin records), not by dnsmasq.
    ap.app.store.dnsRecords.add({ name: '_sip._udp.pbx2.office.lan', type: 'SRV', value: `10 100 ${ports[S.own]} host2.office.lan`, ttl: null });
    ap.app.store.dnsRecords.add({ name: 'host2.office.lan', type: 'A', value: S.own, ttl: null });
    ap.app.dns.invalidate();
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '201', '-au', '201', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${ap.port}`, '-i', CALLER, '-p', String(await freePort(CALLER)), '-m', '1'], 10);
    expect(reg.code).toBe(0);
  });
  afterAll(async () => {
    await ap?.stop();
    dnsmasq?.kill();
    await dnsmasq?.exited;
  });

  test('NAPTR → SRV → A: the call reaches the server the SRV names', async () => {
    const uas = await answer(S.naptr);
    const caller = await call('other.example');
    expect(caller.code).toBe(0);
    const served = await uas.done;
    expect(served.code).toBe(0);
    expect(await sippMessages(served)).toMatch(/INVITE sip:alice@other\.example SIP\/2\.0/);
  });

  test('first SRV target answers 503: the same INVITE goes to the next with a new branch', async () => {
    const first = await busy(S.busy);
    const second = await answer(S.second);
    const caller = await call('busy.example');
    expect(caller.code).toBe(0);
    expect((await second.done).code).toBe(0);
    const rejected = await first.done;
    expect(rejected.code).toBe(0);
    const branchOf = async (r: typeof rejected) => (await sippMessages(r)).match(/INVITE sip:[\s\S]*?branch=([^;\s]+)/)?.[1];
    const b1 = await branchOf(rejected);
    const b2 = await branchOf(await second.done);
    expect(b1).toBeDefined();
    expect(b2).toBe(`${b1}.1`);
    // The caller never saw the 503 (RFC 3263 §4.3: it is the proxy's to act on).
    expect(await sippMessages(caller)).not.toContain('503 Service Unavailable');
  });

  test('first SRV target does not answer at all: fail-over after the no-response time', async () => {
    const second = await answer(S.third);
    const t0 = Date.now();
    const caller = await call('silent.example');
    expect(caller.code).toBe(0);
    expect((await second.done).code).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(3500);
    expect(took).toBeLessThan(12_000);
  });

  test('first target refuses the TCP connection: the call lands on the second TCP server', async () => {
    const uas = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-t', 't1', '-i', S.tcp, '-p', String(ports[S.tcp]), '-m', '1'], 20);
    const t0 = Date.now();
    const caller = await call('refused.example');
    expect(caller.code).toBe(0);
    const served = await uas.done;
    expect(served.code).toBe(0);
    expect(await sippMessages(served)).toMatch(/INVITE sip:alice@refused\.example SIP\/2\.0[\s\S]*Via: SIP\/2\.0\/TCP/);
    // A refused connect does not reach the client transaction (the TCP edge only logs it), so
    // the no-response time is what moves on; bounded well below Timer B (32 s).
    expect(Date.now() - t0).toBeLessThan(12_000);
  });

  test('CANCEL while the first target is silent: 487, and no fail-over after it', async () => {
    // The second server is a bare socket counting what reaches it.
    let reached = 0;
    const listener = await Bun.udpSocket({ hostname: S.third, port: ports[S.third], socket: { data: () => { reached++; } } });
    try {
      const caller = await runSipp(['-sf', join(SCENARIOS, 'uac-cancel-domain.xml'), '-s', 'alice', '-key', 'domain', 'silent.example',
        `${HOST}:${ap.port}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 20);
      expect(caller.code).toBe(0);
      await Bun.sleep(1000); // past the no-response time of the silent first target
      expect(reached).toBe(0);
    } finally {
      listener.close();
    }
  });

  test('every target answers 503: the caller gets 500 (RFC 3261 §16.7 step 6)', async () => {
    const a = await busy(S.busy);
    const b = await busy(S.busy2);
    const caller = await runSipp(['-sf', join(SCENARIOS, 'uac-domain-expect-500.xml'), '-s', 'alice', '-key', 'domain', 'down.example',
      `${HOST}:${ap.port}`, '-i', GATEWAY, '-p', String(await freePort(GATEWAY)), '-m', '1'], 20);
    expect(caller.code).toBe(0);
    expect((await a.done).code).toBe(0);
    expect((await b.done).code).toBe(0);
  });

  test('attack: a zone whose SRV points back at the appliance gets 482, not a relay loop', async () => {
    const gw = await SipUdpPeer.open(GATEWAY);
    try {
      gw.send(sipMessage('INVITE sip:alice@loop.example SIP/2.0', [
        `Via: SIP/2.0/UDP ${gw.hostPort};branch=z9hG4bK-loop-1;rport`, `From: <sip:gw@${gw.hostPort}>;tag=g1`, 'To: <sip:alice@loop.example>',
        'Call-ID: loop-1@test', 'CSeq: 1 INVITE', `Contact: <sip:gw@${gw.hostPort}>`, 'Max-Forwards: 70',
      ]), ap.port, HOST);
      const final = await gw.waitFor((m) => /^SIP\/2\.0 [2-6]\d\d/.test(m) && !m.startsWith('SIP/2.0 100'), 5000);
      expect(final).toMatch(/^SIP\/2\.0 482 /); // §16.3 step 4: our own Via with the same loop hash
    } finally {
      gw.close();
    }
  });

  test('no NAPTR, no SRV: A of the host on 5060 is what is tried (here: nothing listens)', async () => {
    const resolved = await ap.app.sip.service.resolveUri({ schema: 'sip', user: 'alice', host: 'plain.example', params: {}, headers: {} } as never);
    expect(resolved?.dest).toEqual({ transport: 'udp', address: S.naptr, port: 5060 });
  });

  test('a name in our own zone: SRV and A from our DNS function', async () => {
    const uas = await answer(S.own);
    const caller = await call('pbx2.office.lan');
    expect(caller.code).toBe(0);
    expect((await uas.done).code).toBe(0);
  });

  test('an unknown domain resolves to nothing (the relay stage then answers 404)', async () => {
    const resolved = await ap.app.sip.service.resolveUri({ schema: 'sip', user: 'alice', host: 'nowhere.example', params: {}, headers: {} } as never);
    expect(resolved).toBeUndefined();
  });
});
