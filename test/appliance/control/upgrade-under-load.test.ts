import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { requireTool } from '../../support/require-tool.ts';
import { SipUdpPeer, sipMessage } from '../../support/sip-udp-peer.ts';
import { freePort, runSipp, SCENARIOS, sippCount, startSipp, type SippResult } from '../../support/sipp.ts';

/**
 * Upgrade of the workers without dropping calls (issue 17): 20 calls/s of 2 s each for 15 s
 * through two worker processes; after 5 s `upgrade` starts a new generation (the code on disk
 * now) and drains the old one on the same shared port. Every call must complete (none refused,
 * none failed), and an OPTIONS probe every 20 ms measures the longest time without an answer.
 * 127.0.231.1 appliance, .10 callee, .20 trusted gateway (the caller), .30 the probe.
 */
const HOST = '127.0.231.1';
const PHONE = '127.0.231.10';
const GATEWAY = '127.0.231.20';
const PROBE = '127.0.231.30';
const PW = 'Upgrade-Pass-902';
const hasSipp = requireTool('sipp');
let t: TestControlSection;
let callee: { kill: () => void } | undefined;

/** sipp's final statistics row ("Failed call | periodic | cumulative"): the cumulative count. */
const sippStat = (r: SippResult, row: string) => Number(new RegExp(`${row}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(r.out)?.[1] ?? NaN);

/** OPTIONS every `everyMs` to the shared port; the longest stretch between answered probes. */
async function probe(port: number, everyMs: number, stop: Promise<unknown>): Promise<{ sent: number; answered: number; longestGapMs: number }> {
  const peer = await SipUdpPeer.open(PROBE);
  const sentAt = new Map<string, number>();
  const answeredAt: number[] = [];
  let n = 0;
  let done = false;
  void stop.then(() => (done = true));
  const seen = new Set<string>();
  while (!done) {
    const branch = `z9hG4bKprobe${++n}`;
    sentAt.set(branch, Date.now());
    peer.send(sipMessage(`OPTIONS sip:${HOST}:${port} SIP/2.0`, [
      `Via: SIP/2.0/UDP ${peer.hostPort};branch=${branch}`, 'Max-Forwards: 70', `From: <sip:probe@${PROBE}>;tag=p${n}`,
      `To: <sip:${HOST}>`, `Call-ID: probe-${n}@${PROBE}`, 'CSeq: 1 OPTIONS',
    ]), port, HOST);
    await Bun.sleep(everyMs);
    for (const m of peer.inbox.splice(0)) {
      const b = /branch=(z9hG4bKprobe\d+)/.exec(m)?.[1];
      if (b && !seen.has(b) && /^SIP\/2\.0 200/.test(m)) {
        seen.add(b);
        answeredAt.push(sentAt.get(b)!);
      }
    }
  }
  peer.close();
  answeredAt.sort((a, b) => a - b);
  let longestGapMs = 0;
  for (let i = 1; i < answeredAt.length; i++) longestGapMs = Math.max(longestGapMs, answeredAt[i] - answeredAt[i - 1]);
  return { sent: n, answered: seen.size, longestGapMs };
}

describe.skipIf(!hasSipp)('upgrade under load', () => {
  beforeAll(async () => {
    const port = await freePort(HOST);
    t = await startTestControlSection(HOST, {
      port, sip: `trusted = ["${GATEWAY}/32", "${PROBE}/32"]\nworker_port_base = ${port + 1}`,
      control: 'min_workers = 2\nmax_workers = 2\nstop_grace_seconds = 4', extensions: { '902': PW },
    });
    const phonePort = await freePort(PHONE);
    const reg = await runSipp(['-sf', join(SCENARIOS, 'register-auth.xml'), '-s', '902', '-au', '902', '-ap', PW,
      '-key', 'expires', '3600', `${HOST}:${t.port}`, '-i', PHONE, '-p', String(phonePort), '-m', '1'], 10);
    expect(reg.code).toBe(0);
    callee = startSipp(['-sf', join(SCENARIOS, 'uas-answer.xml'), '-i', PHONE, '-p', String(phonePort)], 60);
    await Bun.sleep(300);
  }, 30_000);
  afterAll(async () => {
    callee?.kill();
    await t?.stop();
  });

  test('20 calls/s of 2 s across an upgrade: no call refused or failed', async () => {
    const old = t.control.pool.workers.map((w) => w.id);
    const caller = startSipp(['-sf', join(SCENARIOS, 'uac-call-hold.xml'), '-s', '902', `${HOST}:${t.port}`, '-i', GATEWAY,
      '-d', '2000', '-r', '20', '-m', '300'], 45);
    const probing = probe(t.port, 20, caller.done);
    await Bun.sleep(5000);
    const started = Date.now();
    const up = await t.control.upgrade();
    const switchedMs = Date.now() - started;
    expect(up.ok).toBe(true);
    expect(up.workers?.draining).toEqual(old);
    const r = await caller.done;
    const p = await probing;
    // The old generation has gone; the new one serves, one of it registering the trunks.
    const until = Date.now() + 10_000;
    while (t.control.pool.workers.some((w) => old.includes(w.id)) && Date.now() < until) await Bun.sleep(100);
    const failed = sippStat(r, 'Failed call');
    const ok = sippStat(r, 'Successful call');
    console.log(`upgrade under 20 calls/s (300 calls of 2 s): new generation running after ${switchedMs} ms; successful ${ok}, failed ${failed}, `
      + `503 ${sippCount(r, '503')}; OPTIONS probe every 20 ms: ${p.answered}/${p.sent} answered, longest gap between answers ${p.longestGapMs} ms`);
    expect(r.code).toBe(0);
    expect(failed).toBe(0);
    expect(ok).toBe(300);
    expect(sippCount(r, '503')).toBe(0);
    expect(t.control.pool.workers.map((w) => w.id).filter((id) => old.includes(id))).toEqual([]);
    expect(t.control.pool.workers.filter((w) => w.state === 'running').length).toBe(2);
    expect(t.control.pool.workers.filter((w) => w.registersTrunks).length).toBe(1);
  }, 90_000);
});
