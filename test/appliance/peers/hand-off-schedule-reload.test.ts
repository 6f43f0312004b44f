import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import type { EventRecord } from '../../../system/store/index.ts';
import { PeerPair, waitFor } from './support/peer-pair.ts';

/**
 * `[[control.hand_off_schedule]]` changed at run time (issue 19): the entries live in the
 * config file (each appliance's own, not replicated), and a reload (SIGHUP, CLI `reload`, the
 * web UI; here the control section's own `reload`, what all three call) applies them without a
 * restart (reload-plan.ts: `control` is live; control-jobs.ts restarts the window jobs). A and
 * B on 127.0.211.3/.4. A starts with no entry; one added by a reload (a 2 s window every 4 s)
 * hands off at its next start and takes back at its end; removed by a reload while its window is
 * open, the traffic comes back at once and no later start hands off; added inside what would be
 * its window, it hands off at once (as a restart would) and takes back at that window's end.
 */
const PERIOD_S = 4;
const DURATION_S = 2;
const ENTRY = `[[control.hand_off_schedule]]\nschedule = "*/${PERIOD_S} * * * * *"\nduration = "${DURATION_S}s"\npeer = "b"\n`;
let pair: PeerPair;
let original: string;

const events = (kind: string): EventRecord[] => pair.a.control!.store.events.recent(200, kind).filter((e) => e.kind === kind);
const aStatus = () => pair.a.control!.peers.handOffStatus;
/** The cron start a time belongs to (a multiple of PERIOD_S seconds in the minute). */
const startOf = (ts: number) => {
  const minute = Math.floor(ts / 60_000) * 60_000;
  return minute + Math.floor((ts - minute) / (PERIOD_S * 1000)) * PERIOD_S * 1000;
};

async function reloadA(text: string): Promise<void> {
  writeFileSync(pair.a.path, text);
  const r = await pair.a.control!.reload();
  expect(r).toMatchObject({ ok: true, applied: 'live' });
}

beforeAll(async () => {
  pair = await PeerPair.prepare({ hosts: ['127.0.211.3', '127.0.211.4'], workers: [1, 1], extensions: [[], []], trusted: [] });
  original = readFileSync(pair.a.path, 'utf8');
  await pair.start(pair.b);
  await pair.start(pair.a);
  expect(await waitFor(() => pair.a.control!.peers.links[0]!.state === 'up' && pair.b.control!.peers.links[0]!.state === 'up', 5000)).toBeGreaterThanOrEqual(0);
}, 30_000);

afterAll(async () => {
  await pair?.stop();
});

/** Waits until the time in the period is within [from, to) ms after a cron start. */
async function untilPhase(from: number, to: number): Promise<void> {
  const phase = () => Date.now() - startOf(Date.now());
  expect(await waitFor(() => phase() >= from && phase() < to, PERIOD_S * 1000 + 500)).toBeGreaterThanOrEqual(0);
}

describe('the hand-off schedule changed by a reload', () => {
  test('an entry added by a reload between windows hands off at its next start and takes back at its end', async () => {
    expect(aStatus().to).toBeNull();
    await untilPhase(DURATION_S * 1000 + 200, PERIOD_S * 1000 - 400);
    await reloadA(original + ENTRY);
    // The first start after the reload (the window jobs were made before it returned).
    const start = startOf(Date.now()) + PERIOD_S * 1000;
    expect(await waitFor(() => aStatus().to === 'b', PERIOD_S * 1000 + 1000)).toBeGreaterThanOrEqual(0);
    const since = aStatus().since!;
    expect(aStatus()).toMatchObject({ cause: 'schedule', holds: ['schedule'] });
    expect(startOf(since)).toBe(start);
    const tookBack = () => events('peer.take-back').find((e) => e.ts >= start);
    expect(await waitFor(() => aStatus().to === null && tookBack() !== undefined, (DURATION_S + 2) * 1000)).toBeGreaterThanOrEqual(0);
    const startError = since - start;
    const endError = tookBack()!.ts - (start + DURATION_S * 1000);
    console.log(`entry added by a reload: hand-off ${startError} ms after the cron start, take-back ${endError} ms after the window's end`);
    expect(startError).toBeGreaterThanOrEqual(0);
    expect(startError).toBeLessThan(1500);
    expect(endError).toBeGreaterThanOrEqual(0);
    expect(endError).toBeLessThan(1500);
  }, 30_000);

  test('the entry removed by a reload during its window: the traffic comes back at once, no later start hands off', async () => {
    expect(await waitFor(() => aStatus().to === 'b', (PERIOD_S + 1) * 1000)).toBeGreaterThanOrEqual(0);
    const start = startOf(aStatus().since!);
    await reloadA(original);
    const reloadedAt = Date.now();
    // Only meaningful if the reload came inside the window: say so if the box was too slow.
    expect(reloadedAt).toBeLessThan(start + DURATION_S * 1000);
    const back = await waitFor(() => aStatus().to === null, 1500);
    expect(back).toBeGreaterThanOrEqual(0);
    expect(events('peer.schedule').some((e) => e.ts >= start && e.message.includes('closed (its schedule entry changed)'))).toBe(true);
    // The take-back's event is written once B has been told (after the status changed): wait for it.
    const tookBack = () => events('peer.take-back').find((e) => e.ts >= start);
    expect(await waitFor(() => tookBack() !== undefined, 2000)).toBeGreaterThanOrEqual(0);
    expect(tookBack()!.details).toMatchObject({ peer: 'b', cause: 'schedule' });
    console.log(`entry removed by a reload ${reloadedAt - start} ms into its window: taken back ${back} ms later`);
    // The next start passes without a hand-off.
    const after = startOf(Date.now()) + PERIOD_S * 1000 + 500;
    await waitFor(() => Date.now() >= after, PERIOD_S * 1000 + 1000);
    expect(aStatus().to).toBeNull();
    expect(events('peer.hand-off').filter((e) => e.ts >= reloadedAt)).toEqual([]);
  }, 30_000);

  test('an entry added by a reload inside what would be its window hands off at once, as after a restart, until that window ends', async () => {
    expect(aStatus().to).toBeNull();
    await untilPhase(100, DURATION_S * 1000 - 1200);
    const start = startOf(Date.now());
    await reloadA(original + ENTRY);
    const reloadedAt = Date.now();
    const handedOff = await waitFor(() => aStatus().to === 'b', 1000);
    expect(handedOff).toBeGreaterThanOrEqual(0);
    expect(aStatus()).toMatchObject({ cause: 'schedule' });
    expect(aStatus().since!).toBeLessThan(start + DURATION_S * 1000);
    expect(events('peer.schedule').some((e) => e.ts >= start && e.message.includes('changed by a reload'))).toBe(true);
    const tookBack = () => events('peer.take-back').find((e) => e.ts >= start);
    expect(await waitFor(() => aStatus().to === null && tookBack() !== undefined, (DURATION_S + 2) * 1000)).toBeGreaterThanOrEqual(0);
    const endError = tookBack()!.ts - (start + DURATION_S * 1000);
    console.log(`entry added by a reload ${reloadedAt - start} ms into its window: handed off ${handedOff} ms after the reload, taken back ${endError} ms after the window's end`);
    expect(endError).toBeGreaterThanOrEqual(0);
    expect(endError).toBeLessThan(1500);
  }, 30_000);
});
