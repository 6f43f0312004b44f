import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import si from 'systeminformation';
import { createHostSampler, type HostSensorSource } from '../../../system/sensors/host-sampler.ts';
import { requireTool } from '../../support/require-tool.ts';
import { PeerPair, waitFor, type PairMember } from './support/peer-pair.ts';

/**
 * Load-weighted SRV (issue 19), two appliances on 127.1.39.2 (A) and .3 (B): `dig SRV` on both
 * members. A's host sampler reads its CPU temperature from this test (the sampler's sensor
 * input; load, memory and disk are the machine's own): at 87 °C (critical 90) A's weight falls
 * toward 20 in steps of at most 25, at least 5 s apart, on both members' records, while the
 * idle B keeps ~100; back at 50 °C it climbs back. Bounded: each phase waits at most 25 s.
 */
const A = '127.1.39.2';
const B = '127.1.39.3';
const hasDig = requireTool('dig');
let pair: PeerPair;
let temperature = 50;

interface Srv { priority: number; weight: number; port: number; target: string; ttl: number }

async function digSrv(m: PairMember): Promise<Srv[]> {
  const p = Bun.spawn(['dig', '-p', String(m.dnsPort), `@${m.host}`, '+tries=1', '+time=2', '+noall', '+answer', '_sip._udp.office.lan', 'SRV'], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === 'SRV')
    .map((f) => ({ ttl: Number(f[1]), priority: Number(f[4]), weight: Number(f[5]), port: Number(f[6]), target: f[7] }));
}

/** Each member's weight in `m`'s records, by member name (the SRV port tells which member a target is). */
async function weights(m: PairMember): Promise<{ a: number; b: number; ttl: number }> {
  const rows = await digSrv(m);
  const of = (p: PairMember) => rows.find((r) => r.port === p.sipPort)?.weight ?? NaN;
  return { a: of(pair.a), b: of(pair.b), ttl: rows[0]?.ttl ?? NaN };
}

/** Polls both members' records every 500 ms until `done` holds on both; returns every distinct A weight seen on each. */
async function follow(done: (w: { a: number; b: number }) => boolean, ms: number) {
  const seen = { onA: [] as number[], onB: [] as number[] };
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const [wa, wb] = await Promise.all([weights(pair.a), weights(pair.b)]);
    if (seen.onA.at(-1) !== wa.a) seen.onA.push(wa.a);
    if (seen.onB.at(-1) !== wb.a) seen.onB.push(wb.a);
    if (done(wa) && done(wb)) return { ok: true, seen, last: { onA: wa, onB: wb }, ms: Date.now() - t0 };
    await Bun.sleep(500);
  }
  return { ok: false, seen, last: null, ms };
}

const steps = (xs: number[]) => xs.slice(1).map((x, i) => Math.abs(x - xs[i]));

describe.skipIf(!hasDig)('load-weighted SRV on both members', () => {
  beforeAll(async () => {
    pair = await PeerPair.prepare({ hosts: [A, B], workers: [1, 1], extensions: [[], []], trusted: [] });
    const source: HostSensorSource = {
      currentLoad: () => si.currentLoad(), mem: () => si.mem(), fsSize: () => si.fsSize(),
      cpuTemperature: async () => ({ main: temperature, max: temperature, chipset: null }),
    };
    await pair.start(pair.b);
    await pair.start(pair.a, { hostSampler: createHostSampler({ dataDir: pair.a.config.dataDir, temperatureMaxAgeMs: 0 }, source) });
    expect(await waitFor(() => pair.a.control!.peers.links[0].state === 'up' && pair.b.control!.peers.links[0].state === 'up', 5000)).toBeGreaterThanOrEqual(0);
  }, 30_000);

  afterAll(async () => {
    await pair?.stop();
  });

  test('weights shift toward the idle member under load, in bounded steps, and back', async () => {
    // Before: both members listed on both, equal priority, weights near 100, TTL 30 s.
    const before = await follow((w) => w.a >= 75 && w.b >= 75, 10_000);
    expect(before.ok).toBe(true);
    expect(before.last!.onA.ttl).toBe(30);
    expect((await digSrv(pair.a)).map((r) => r.priority)).toEqual([10, 10]);

    temperature = 87;
    // Two steps down are enough here (the whole path to the floor is srv-weights' table test).
    const under = await follow((w) => w.a <= 55 && w.b >= 75, 20_000);
    expect(under.ok).toBe(true);
    temperature = 50;
    const after = await follow((w) => w.a >= 90 && w.b >= 90, 25_000);
    expect(after.ok).toBe(true);
    console.log(`SRV weights A/B: before on A ${before.last!.onA.a}/${before.last!.onA.b}, on B ${before.last!.onB.a}/${before.last!.onB.b}; `
      + `at 87 °C after ${under.ms} ms on A ${under.last!.onA.a}/${under.last!.onA.b}, on B ${under.last!.onB.a}/${under.last!.onB.b} `
      + `(A's weight seen on A ${under.seen.onA.join(' → ')}, on B ${under.seen.onB.join(' → ')}); `
      + `back at 50 °C after ${after.ms} ms on A ${after.last!.onA.a}/${after.last!.onA.b}, on B ${after.last!.onB.a}/${after.last!.onB.b} `
      + `(on A ${after.seen.onA.join(' → ')}, on B ${after.seen.onB.join(' → ')})`);
    // Bounded change rate: no step larger than 25 on either member, up or down.
    for (const xs of [under.seen.onA, under.seen.onB, after.seen.onA, after.seen.onB]) for (const s of steps(xs)) expect(s).toBeLessThanOrEqual(25);
    // It took several steps (≥ 5 s apart), not one jump.
    expect(under.seen.onA.length).toBeGreaterThanOrEqual(3);
    expect(under.ms).toBeGreaterThanOrEqual(5_000);
  }, 75_000);
});
