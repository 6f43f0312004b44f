import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { EventRecord } from '../../../system/store/index.ts';
import { PeerPair, waitFor } from './support/peer-pair.ts';

/**
 * Clock skew between members (issue 19), two real appliances on 127.0.211.5 (A) and .6 (B),
 * B's peer protocol on a clock 5 s ahead (ControlOptions.peerClock: its heartbeat timestamps
 * and request signatures, as a member whose wall clock is off would send them). Each member
 * shows the other's offset (GET /api/peers `clock`, the Peers page) from its heartbeat round
 * trips, A warns once (`peer.clock.skewed`, not once a heartbeat), and once B's clock is right
 * again A says so (`peer.clock.ok`).
 */
const SKEW_MS = 5000;
let skew = SKEW_MS;
let pair: PeerPair;
const events = (kind: string): EventRecord[] => pair.a.control!.store.events.recent(200, kind).filter((e) => e.kind === kind);
const clockOfB = () => pair.a.control!.view.peers()[0]!.clock;
const clockOfA = () => pair.b.control!.view.peers()[0]!.clock;

beforeAll(async () => {
  pair = await PeerPair.prepare({ hosts: ['127.0.211.5', '127.0.211.6'], workers: [1, 1], extensions: [[], []], trusted: [] });
  await pair.start(pair.a);
  await pair.start(pair.b, { peerClock: () => Date.now() + skew });
  expect(await waitFor(() => pair.a.control!.peers.links[0]!.state === 'up' && pair.b.control!.peers.links[0]!.state === 'up', 8000)).toBeGreaterThanOrEqual(0);
}, 30_000);

afterAll(async () => {
  await pair?.stop();
});

describe('a member whose clock is 5 s ahead', () => {
  test('both members show the offset; A warns once, not once a heartbeat', async () => {
    expect(await waitFor(() => clockOfB()?.skewed === true && clockOfA()?.skewed === true, 5000)).toBeGreaterThanOrEqual(0);
    const b = clockOfB()!;
    const a = clockOfA()!;
    console.log(`A sees B at ${b.offsetMs} ± ${b.uncertaintyMs} ms, B sees A at ${a.offsetMs} ± ${a.uncertaintyMs} ms`);
    expect(Math.abs(b.offsetMs - SKEW_MS)).toBeLessThanOrEqual(b.uncertaintyMs + 50);
    expect(Math.abs(a.offsetMs + SKEW_MS)).toBeLessThanOrEqual(a.uncertaintyMs + 50);
    // Three more heartbeats (1 s apart): still the one warning.
    const at = pair.a.control!.peers.clocks.of('b')!.at;
    expect(await waitFor(() => pair.a.control!.peers.clocks.of('b')!.at >= at + 2500, 6000)).toBeGreaterThanOrEqual(0);
    const warnings = events('peer.clock.skewed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.details).toMatchObject({ peer: 'b', limitMs: 2000 });
    expect(Math.abs((warnings[0]!.details.offsetMs as number) - SKEW_MS)).toBeLessThan(1000);
    expect(events('peer.clock.ok')).toHaveLength(0);
  }, 20_000);

  test('B\'s clock set right: A shows it in step and says so once', async () => {
    skew = 0;
    expect(await waitFor(() => clockOfB()?.skewed === false && events('peer.clock.ok').length === 1, 5000)).toBeGreaterThanOrEqual(0);
    expect(Math.abs(clockOfB()!.offsetMs)).toBeLessThanOrEqual(clockOfB()!.uncertaintyMs + 50);
    expect(events('peer.clock.ok')[0]!.details).toMatchObject({ peer: 'b' });
    expect(events('peer.clock.skewed')).toHaveLength(1);
  }, 20_000);
});
