import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { callAndHangUp, startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { freeTcpPort } from '../../support/sipp.ts';

/**
 * Real baresip phones on TCP over IPv6 with two worker processes (dual stack, issue 11): the
 * appliance listens on 127.0.160.31 and [::1]; both phones are on [::1] (a phone of one family
 * exchanges RTP only with that family: docs/SIP.md "IPv6"). Caller and callee hold their IPv6
 * connections in different workers, so the INVITE, the 200, the ACK and the BYE cross between
 * workers through the holder table and tcp-write with IPv6 connection keys (`::1:port`). The
 * worker that took a phone is the one that counted its REGISTER; a callee on the caller's
 * worker is restarted (new connection, new reuseport hash), at most 8 times.
 */
const HOST = '127.0.160.31';
const V6 = '::1';
const DOMAIN = 'office.lan';
const PW: Record<string, string> = { '231': 'Six-Workers-Pass-231', '232': 'Six-Workers-Pass-232' };
const hasBaresip = requireTool('baresip');

let cs: TestControlSection;
const running: BaresipPhone[] = [];

/** Starts a TCP phone and returns it with the id of the worker that counted its REGISTER. */
async function registeredOn(user: string, ip: string): Promise<{ phone: BaresipPhone; worker: number }> {
  await cs.control.sampleNow(); // a fresh period: only this phone's REGISTERs count in the next
  const from = cs.control.history.size;
  const phone = startBaresip({ ip, port: await freeTcpPort(ip), user, password: PW[user], domain: DOMAIN, proxy: `[${V6}]:${cs.port}`, transport: 'tcp' });
  running.push(phone);
  await phone.waitFor(/200 OK .*\[\d+ bindings?\]/);
  await cs.control.sampleNow();
  const since = cs.control.history.latest(cs.control.history.size - from);
  const workers = new Set(since.flatMap((s) => s.workers.filter((w) => (w.requestsPerSecond.REGISTER ?? 0) > 0).map((w) => w.workerId)));
  expect(workers.size).toBe(1); // one TCP connection, one worker
  return { phone, worker: [...workers][0] };
}

async function stopPhone(p: BaresipPhone): Promise<void> {
  running.splice(running.indexOf(p), 1);
  await p.stop();
}

/** Caller dials callee, both see the call established, 2 s of audio, caller hangs up (BYE): RTP both ways. */
async function call(caller: BaresipPhone, callee: BaresipPhone): Promise<void> {
  const rtp = await callAndHangUp(caller, callee, DOMAIN);
  for (const [p, stats] of [[caller, rtp.caller], [callee, rtp.callee]] as const) {
    console.log(`${caller.user} -> ${callee.user}: ${p.user} RTP packets tx ${stats?.tx} rx ${stats?.rx}`);
    expect(stats?.tx ?? 0).toBeGreaterThan(50);
    expect(stats?.rx ?? 0).toBeGreaterThan(50);
  }
}

describe.skipIf(!hasBaresip)('baresip phones over IPv6 TCP on different worker processes', () => {
  beforeAll(async () => {
    cs = await startTestControlSection(HOST, { listen: [HOST, V6], sip: 'transports = ["udp", "tcp"]', extensions: PW });
  }, 30_000);
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await cs?.stop();
  }, 20_000);

  test('[::1] TCP caller and callee on different workers call each other: established, RTP both ways, BYE', async () => {
    try {
      const a = await registeredOn('231', V6);
      let b = await registeredOn('232', V6);
      for (let i = 0; i < 8 && b.worker === a.worker; i++) {
        await stopPhone(b.phone);
        b = await registeredOn('232', V6);
      }
      expect(b.worker).not.toBe(a.worker);
      console.log(`231 on worker ${a.worker}, 232 on worker ${b.worker}`);
      // every worker's location view has both phones, their IPv6 TCP flows as sources
      for (const user of ['231', '232']) {
        const views = await cs.control.locationOf(`sip:${user}@${DOMAIN}`);
        expect([...views.values()].map((v) => v.length)).toEqual([1, 1]);
        for (const v of views.values()) expect(v[0].source).toStartWith(`tcp:${V6}:`);
      }
      await call(a.phone, b.phone);
      await call(b.phone, a.phone);
    } catch (e) {
      for (const p of running) console.log(`--- baresip ${p.user} log tail ---\n${p.log().slice(-3000)}`);
      throw e;
    }
  }, 60_000);
});
