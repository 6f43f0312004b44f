import { describe, expect, test } from 'bun:test';
import { AdmissionControl } from '../../../../appliance/sip/pipeline/admission-control.ts';
import { backlogCut, MIN_ADMIT, nextAdmitShare, ShareGate, type WorkerLoadSignals } from '../../../../appliance/sip/pipeline/worker-load.ts';

const CFG = { shedLagMs: 25, calmLagMs: 5, shedOpenPercent: 80, minRate: 100 };
/** Signals with the same lag on two ticks in a row, under a load of 1,000 new requests/s. */
const sig = (lagMs: number, openTransactions = 0, over: { previousLagMs?: number; offeredPerSecond?: number } = {}) =>
  ({ lagMs, previousLagMs: over.previousLagMs ?? lagMs, offeredPerSecond: over.offeredPerSecond ?? 1000, openTransactions, maxTransactions: 20_000 });

describe('nextAdmitShare: multiplicative decrease when saturated, additive increase when calm', () => {
  const rows: [string, number, ReturnType<typeof sig>, number][] = [
    ['calm and full: stays full', 1, sig(1), 1],
    ['lag at the threshold on two ticks under load: 30 % less at once', 1, sig(25), 0.7],
    ['one late tick only (a GC pause): holds', 1, sig(200, 0, { previousLagMs: 2 }), 1],
    ['lag without load (start-up, a slow write): holds', 1, sig(200, 0, { offeredPerSecond: 20 }), 1],
    ['open transactions at the cap share sheds even without load', 1, sig(0, 16_000, { offeredPerSecond: 0 }), 0.7],
    ['lag far beyond: 30 % less again', 0.5, sig(900), 0.35],
    ['never below the floor', MIN_ADMIT, sig(900), MIN_ADMIT],
    ['open transactions at 80 % of the cap: saturated', 1, sig(0, 16_000), 0.7],
    ['between calm and saturated: holds', 0.5, sig(10), 0.5],
    ['open above 40 % of the cap: not calm, holds', 0.5, sig(1, 9_000), 0.5],
    ['calm: grows by 5 points', 0.5, sig(1), 0.55],
    ['calm near full: capped at 1', 0.99, sig(1), 1],
  ];
  for (const [name, prev, s, expected] of rows) test(name, () => expect(nextAdmitShare(prev, s, CFG)).toBeCloseTo(expected, 10));
  test('from saturation back to full within 20 calm ticks (1 s at 50 ms)', () => {
    let share = MIN_ADMIT;
    let ticks = 0;
    while (share < 1 && ticks < 100) { share = nextAdmitShare(share, sig(0), CFG); ticks++; }
    expect(ticks).toBeLessThanOrEqual(20);
  });
});

describe('nextAdmitShare: the receive backlog (bytes in the kernel buffers)', () => {
  const LIMIT = 128 * 1024;
  const Q = { ...CFG, shedQueueBytes: LIMIT };
  const q = (lagMs: number, queuedBytes: number) => ({ ...sig(lagMs), queuedBytes });
  const rows: [string, number, WorkerLoadSignals, typeof Q, number][] = [
    ['no backlog, calm: grows', 0.5, q(0, 0), Q, 0.55],
    ['a backlog at the threshold with no lag at all (the timer on time, the buffer filling): 30 % less', 1, q(0, LIMIT), Q, 0.7],
    ['twice the threshold: halved', 1, q(0, 2 * LIMIT), Q, 0.5],
    ['four times: quartered', 0.8, q(0, 4 * LIMIT), Q, 0.2],
    ['forty times: a tenth at most at once', 1, q(0, 40 * LIMIT), Q, 0.1],
    ['never below the floor', 0.05, q(0, 40 * LIMIT), Q, MIN_ADMIT],
    ['below the threshold but above a quarter of it: holds (not drained yet)', 0.5, q(0, LIMIT / 2), Q, 0.5],
    ['below a quarter: calm, grows', 0.5, q(0, LIMIT / 8), Q, 0.55],
    ['threshold 0: the backlog is not judged', 1, q(0, 100 * LIMIT), { ...CFG, shedQueueBytes: 0 }, 1],
    ['no backlog figure (where /proc cannot be read): as before', 0.5, sig(1), Q, 0.55],
  ];
  for (const [name, prev, s, cfg, expected] of rows) test(name, () => expect(nextAdmitShare(prev, s, cfg)).toBeCloseTo(expected, 10));
  test('backlogCut alone: the same cut the tick applies', () => {
    expect(backlogCut(1, 3 * LIMIT, LIMIT)).toBeCloseTo(1 / 3, 10);
    expect(backlogCut(1, LIMIT, LIMIT)).toBeCloseTo(0.7, 10);
  });
});

describe('ShareGate admits exactly the share, spread evenly', () => {
  for (const share of [1, 0.5, 0.25, 0.1, MIN_ADMIT]) {
    test(`share ${share}`, () => {
      const g = new ShareGate();
      const runs = Array.from({ length: 1000 }, () => g.admit(share));
      // Exact up to floating-point rounding of the credit.
      expect(Math.abs(runs.filter(Boolean).length - 1000 * share)).toBeLessThanOrEqual(1);
      // No long run of admissions while shedding: at most one in a row below a share of 0.5.
      if (share <= 0.5) expect(runs.some((r, i) => r && runs[i + 1])).toBe(false);
    });
  }
});

describe('AdmissionControl', () => {
  test("the worker's own share refuses new work, counted as shed; an emergency call always passes", () => {
    const a = new AdmissionControl();
    a.localShare = 0.25;
    const got = Array.from({ length: 100 }, () => a.admit('call'));
    expect(got.filter(Boolean).length).toBe(25);
    expect(a.shed).toBe(75);
    expect(a.shedLocal).toBe(75);
    a.localShare = MIN_ADMIT;
    expect(Array.from({ length: 50 }, () => a.admit('call', true)).every(Boolean)).toBe(true);
    a.draining = true;
    expect(a.admit('register')).toBe(false);
    expect(a.admit('call', true)).toBe(true);
  });
  test("the control section's admitted rate still applies, with its Retry-After", () => {
    const a = new AdmissionControl();
    a.localRetryAfter = 7;
    expect(a.retryAfter).toBe(7);
    a.set({ callsPerSecond: 2, registersPerSecond: 1, retryAfterSeconds: 11 });
    expect([a.admit('call'), a.admit('call'), a.admit('call')]).toEqual([true, true, false]);
    expect(a.retryAfter).toBe(11);
  });
});
