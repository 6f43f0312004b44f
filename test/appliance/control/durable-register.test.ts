import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ControlSection } from '../../../appliance/control/control-section.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { sipMessage, SipUdpPeer, statusOf } from '../../support/sip-udp-peer.ts';

/**
 * Acknowledged means durable (issue 12, finding 4): a burst of REGISTERs is answered 200 only
 * once its bindings are committed (group commit), so killing every worker with SIGKILL right
 * after the last 200 loses none of them: the store has every one, and the respawned workers
 * serve them. 127.0.73.1 appliance; the REGISTERs come from a trusted gateway on .20 (no digest,
 * so the burst is quick) for 120 extensions with contacts on .30.
 */
const HOST = '127.0.73.1';
const GATEWAY = '127.0.73.20';
const COUNT = 120;
let t: TestControlSection;
let control: ControlSection;
let port: number;

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
      for (let i = 0; i < COUNT; i++) {
        const n = 7000 + i;
        gw.send(sipMessage(`REGISTER sip:office.lan SIP/2.0`, [
          `Via: SIP/2.0/UDP ${gw.hostPort};rport;branch=z9hG4bK-durable-${n}`, 'Max-Forwards: 70',
          `From: <sip:${n}@office.lan>;tag=d${n}`, `To: <sip:${n}@office.lan>`, `Call-ID: durable-${n}`, 'CSeq: 1 REGISTER',
          `Contact: <sip:${n}@127.0.73.30:${10000 + i}>`, 'Expires: 600',
        ]), port, HOST);
      }
      const until = Date.now() + 5000;
      const ok = () => gw.inbox.filter((m) => statusOf(m) === 200 && m.includes('CSeq: 1 REGISTER'));
      while (ok().length < COUNT && Date.now() < until) await Bun.sleep(1);
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
    } finally {
      gw.close();
    }
  }, 60_000);
});
