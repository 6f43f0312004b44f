import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { freePort, runSipp, SCENARIOS, sippMessages, startSippUas } from '../../support/sipp.ts';

/**
 * Dual stack with worker processes (issue 11, IPv6): two connection control sections each bind
 * the shared port and their own Via port on 127.0.160.3 and [::1]. sipp phone A registers over
 * IPv6 and B over IPv4; they call each other both ways through whichever worker the kernel
 * picks, and every worker's Via names the family of the leg, on its slot's port.
 */
const HOST = '127.0.160.3';
const V6 = '::1';
const PHONE_B = '127.0.160.12';
const PW: Record<string, string> = { '201': 'Alpha-Pass-201', '202': 'Bravo-Pass-202' };
const hasSipp = requireTool('sipp');
let t: TestControlSection;
let portA = 0;
let portB = 0;

const target = (ip: string) => (ip.includes(':') ? `[${V6}]:${t.port}` : `${HOST}:${t.port}`);

function register(ext: string, ip: string, port: number) {
  return runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', ext, '-au', ext, '-ap', PW[ext],
    '-key', 'expires', '3600', target(ip), '-i', ip, '-p', String(port), '-m', '1'], 10);
}

async function call(caller: string, callerIp: string, callee: string, calleeIp: string, calleePort: number) {
  const uas = await startSippUas(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', calleeIp, '-p', String(calleePort), '-m', '1'], 15);
  // A fresh caller port each time, so the kernel's reuseport hash may pick either worker.
  const uac = await runSipp(['-sf', join(SCENARIOS, 'uac-auth-call.xml'), '-s', callee, '-au', caller, '-ap', PW[caller],
    '-key', 'caller', caller, target(callerIp), '-i', callerIp, '-p', String(await freePort(callerIp)), '-m', '1'], 15);
  const answered = await uas.done;
  return { uac, uas: answered, calleeTrace: await sippMessages(answered) };
}

describe.skipIf(!hasSipp)('dual stack with two worker processes', () => {
  beforeAll(async () => {
    t = await startTestControlSection(HOST, { listen: [HOST, V6], extensions: PW });
    portA = await freePort(V6);
    portB = await freePort(PHONE_B);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('both workers run on both families; A registers over IPv6, B over IPv4', async () => {
    expect(t.control.pool.workers.map((w) => w.state)).toEqual(['running', 'running']);
    t.control.store.events.flush(Date.now(), true);
    const ready = t.control.store.events.recent(200, 'control.worker.ready').map((e) => e.message);
    expect(ready.filter((m) => m.includes(`SIP on ${HOST}:${t.port}, [::1]:${t.port}`))).toHaveLength(2);
    expect((await register('201', V6, portA)).code).toBe(0);
    expect((await register('202', PHONE_B, portB)).code).toBe(0);
    const stored = t.control.store.registrations.loadActive().map((b) => b.source).sort();
    expect(stored).toEqual([`udp:${PHONE_B}:${portB}`, `udp:${V6}:${portA}`].sort());
  });

  test('A (IPv6) calls B (IPv4) and B calls A, twice each: answered, ACK and BYE across families, Via per family on a worker slot port', async () => {
    const base = t.config.sip.workerPortBase;
    const slots = [base, base + 1].map(String).join('|');
    for (let i = 0; i < 2; i++) {
      const ab = await call('201', V6, '202', PHONE_B, portB);
      expect([ab.uac.code, ab.uas.code]).toEqual([0, 0]);
      expect(ab.calleeTrace).toMatch(new RegExp(`INVITE sip:202@[^\\n]+\\n(?:[^\\n]*\\n)*?Via: SIP/2.0/UDP ${HOST.replace(/\./g, '\\.')}:(${slots});branch=`));
      expect(ab.calleeTrace).toMatch(/BYE sip:/);
      const ba = await call('202', PHONE_B, '201', V6, portA);
      expect([ba.uac.code, ba.uas.code]).toEqual([0, 0]);
      expect(ba.calleeTrace).toMatch(new RegExp(`INVITE sip:201@\\[::1\\][^\\n]+\\n(?:[^\\n]*\\n)*?Via: SIP/2.0/UDP \\[::1\\]:(${slots});branch=`));
      expect(ba.calleeTrace).toMatch(/BYE sip:\[::1\]/);
    }
  }, 90_000);
});
