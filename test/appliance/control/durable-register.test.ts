import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ControlSection } from '../../../appliance/control/control-section.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { sipMessage, SipUdpPeer, statusOf } from '../../support/sip-udp-peer.ts';

/**
 * Acknowledged means durable (issue 12, finding 4): a burst of REGISTERs is answered 200 only
 * once its bindings are committed (group commit), so killing every worker with SIGKILL right
 * after the last 200 loses none of them: the store has every one, and the respawned workers
 * serve them; the same REGISTERs again (retransmissions reaching workers without their
 * transactions) are answered 200 as the originals were. 127.0.73.1 appliance; the REGISTERs come from a trusted gateway on .20 (no digest,
 * so the burst is quick) for 120 extensions with contacts on .30.
 */
const HOST = '127.0.73.1';
const GATEWAY = '127.0.73.20';
const COUNT = 120;
let t: TestControlSection;
let control: ControlSection;
let port: number;

/**
 * Sends the REGISTERs, and again (a phone's retransmission, RFC 3261 §17.1.2.2: same branch)
 * those not answered 200 yet every 500 ms: on a loaded box a datagram can be dropped or shed
 * with 503. Bounded: 10 s.
 */
async function sendUntilAnswered(gw: SipUdpPeer, registers: readonly string[], ok: () => string[]): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const answered = new Set(ok().map((m) => /Call-ID: (\S+)/.exec(m)?.[1]));
    const left = registers.filter((r) => !answered.has(/Call-ID: (\S+)/.exec(r)?.[1]));
    if (left.length === 0) return;
    for (const r of left) gw.send(r, port, HOST);
    const wait = Date.now() + 500;
    while (ok().length < registers.length && Date.now() < wait) await Bun.sleep(1);
  }
}

describe('durable REGISTER', () => {
  beforeAll(async () => {
    const extensions = Object.fromEntries(Array.from({ length: COUNT }, (_, i) => [String(7000 + i), `Durable-Pass-${7000 + i}`]));
    t = await startTestControlSection(HOST, { sip: `trusted = ["${GATEWAY}/32"]`, extensions });
    ({ control, port } = t);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  test('every REGISTER answered 200 before a SIGKILL of the workers is in the store and served after the respawn', async () => {
    const gw = await SipUdpPeer.open(GATEWAY);
    try {
      const registers = Array.from({ length: COUNT }, (_, i) => {
        const n = 7000 + i;
        return sipMessage(`REGISTER sip:office.lan SIP/2.0`, [
          `Via: SIP/2.0/UDP ${gw.hostPort};rport;branch=z9hG4bK-durable-${n}`, 'Max-Forwards: 70',
          `From: <sip:${n}@office.lan>;tag=d${n}`, `To: <sip:${n}@office.lan>`, `Call-ID: durable-${n}`, 'CSeq: 1 REGISTER',
          `Contact: <sip:${n}@127.0.73.30:${10000 + i}>`, 'Expires: 600',
        ]);
      });
      const ok = () => gw.inbox.filter((m) => statusOf(m) === 200 && m.includes('CSeq: 1 REGISTER'));
      await sendUntilAnswered(gw, registers, ok);
      // The moment the last 200 is here: no worker gets to write anything more.
      const victims = [...control.pool.workers];
      for (const w of victims) w.proc.kill('SIGKILL');
      const acknowledged = ok().map((m) => /Call-ID: durable-(\d+)/.exec(m)![1]);
      expect(acknowledged.length).toBe(COUNT);

      const stored = new Set(control.store.registrations.loadActive().map((b) => /^sip:(\d+)@/.exec(b.aor)?.[1]));
      const lost = acknowledged.filter((n) => !stored.has(n));
      expect(lost).toEqual([]);

      // The respawned workers load them: each worker's location view holds each one.
      const respawned = Date.now() + 15_000;
      while (Date.now() < respawned && !(control.pool.workers.length === 2 && control.pool.workers.every((w) => w.state === 'running' && !victims.includes(w)))) {
        await Bun.sleep(100);
      }
      const missing: string[] = [];
      for (const n of acknowledged) {
        const per = await control.locationOf(`sip:${n}@office.lan`);
        if (per.size !== 2 || [...per.values()].some((list) => list.length !== 1)) missing.push(n);
      }
      expect(missing).toEqual([]);

      // Retransmissions of those REGISTERs (their 200s lost, say) reach the new workers, which
      // have no transaction for them: each is a REGISTER already processed (same Call-ID, CSeq
      // and contact), answered 200 with its binding again, not 500 "Out of order"; no row rewritten.
      const versions = () => new Map(control.store.registrations.loadActive().map((b) => [b.aor, b.version]));
      const stored1 = versions();
      gw.inbox.length = 0;
      await sendUntilAnswered(gw, registers, ok);
      expect(gw.inbox.map(statusOf).filter((s) => s === 500)).toEqual([]);
      expect(ok().length).toBe(COUNT);
      expect(ok().every((m) => /Contact: +<sip:\d+@127\.0\.73\.30:\d+>;expires=(59\d|600)/.test(m))).toBe(true);
      expect(versions()).toEqual(stored1);
    } finally {
      gw.close();
    }
  }, 60_000);
});
