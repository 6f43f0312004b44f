import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { requireTool } from '../../support/require-tool.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { freePort, freeTcpPort } from '../../support/sipp.ts';

/**
 * baresip phones with worker processes (two, sharing the SIP port): the callee registered
 * through one worker, UDP callers from eight addresses are spread over both by the kernel's
 * reuseport hash. Every call is established with RTP both ways, and the INVITEs reached the
 * callee from both workers (each sends from and puts in Via its own port, worker_port_base +
 * slot), so at least one caller was on the other worker than the callee's registration. Appliance 127.0.150.2, phones .41-.49.
 */
const HOST = '127.0.150.2';
const DOMAIN = 'office.lan';
/** Callers (127.0.150.41-48): all eight on one worker has a chance of 2^-7. */
const CALLERS = ['221', '222', '223', '224', '226', '227', '228', '229'];
const PW: Record<string, string> = Object.fromEntries([...CALLERS, '225'].map((n) => [n, `Worker-Pass-${n}`]));
const hasBaresip = requireTool('baresip');

let cs: TestControlSection;
const running: BaresipPhone[] = [];

async function phone(user: string, ip: string, transport: 'udp' | 'tcp'): Promise<BaresipPhone> {
  const port = transport === 'tcp' ? await freeTcpPort(ip) : await freePort(ip);
  const p = startBaresip({ ip, port, user, password: PW[user], domain: DOMAIN, proxy: `${HOST}:${cs.port}`, transport, trace: user === '225' });
  running.push(p);
  await p.waitFor(/200 OK .*\[\d+ bindings?\]/, 10000);
  return p;
}

describe.skipIf(!hasBaresip)('baresip phones on different workers', () => {
  beforeAll(async () => {
    cs = await startTestControlSection(HOST, { sip: 'transports = ["udp", "tcp"]', extensions: PW });
  }, 30000);
  afterAll(async () => {
    for (const p of running.splice(0)) await p.stop();
    await cs?.stop();
  });

  test('UDP callers on both workers reach the callee registered through one of them: established, RTP both ways, BYE', async () => {
    const callee = await phone('225', '127.0.150.49', 'udp');
    try {
      for (const [i, user] of CALLERS.entries()) {
        const caller = await phone(user, `127.0.150.${41 + i}`, 'udp');
        const b0 = callee.log().length;
        caller.send(`/dial sip:225@${DOMAIN}`);
        await caller.waitFor(/Call established/);
        await callee.waitFor(/Call established/, 8000, b0);
        await Bun.sleep(700);
        caller.send('/hangup');
        await caller.waitFor(/packets:\s+\d+\s+\d+/); // baresip's end-of-call summary
        await callee.waitFor(/terminated \(duration|session closed/, 5000, b0);
        const m = caller.log().match(/packets:\s+(\d+)\s+(\d+)/);
        expect(Number(m?.[1] ?? 0)).toBeGreaterThan(10);
        expect(Number(m?.[2] ?? 0)).toBeGreaterThan(10);
      }
      const viaPorts = new Set([...callee.log().matchAll(/^INVITE sip:225[^\n]*\n(?:[^\n]*\n)*?Via: SIP\/2\.0\/UDP 127\.0\.150\.2:(\d+)/gm)].map((m) => m[1]));
      console.log(`SIP port ${cs.port}; Via ports of the workers on the callee's INVITEs: ${[...viaPorts].join(", ")}`);
      expect(viaPorts.size).toBe(2);
    } catch (e) {
      for (const p of running) console.error(`--- ${p.user} log tail ---\n${p.log().replace(/\[0:00:\d\d\] audio=[^\n]*?\(bit\/s\)\s*/g, '').slice(-2500)}`);
      throw e;
    }
  }, 60000);
});
