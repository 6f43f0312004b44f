import { describe, expect, test } from 'bun:test';
import { addTotals, emptyTotals, isWorkerTotals, TotalsLedger, type WorkerTotals } from '../../../appliance/metrics/worker-totals.ts';

/** Cumulative worker totals and the ledger that keeps a retired worker's counts. */
const totals = (over: Partial<WorkerTotals>): WorkerTotals => ({ ...emptyTotals(), ...over });

describe('worker totals', () => {
  test('addTotals sums key by key, vectors element by element, histograms bucket by bucket', () => {
    const a = totals({ sipRequests: { INVITE: 2 }, sipReplies: { INVITE: [1, 2, 0, 0, 0, 0] }, shed: 1, dnsAnswers: { A: [3] }, callSetup: { counts: [1, 0], sum: 0.2 } });
    const b = totals({ sipRequests: { INVITE: 1, BYE: 4 }, sipReplies: { INVITE: [1, 0, 0, 1, 0, 0], BYE: [0, 4, 0, 0, 0, 0] }, shed: 2, dnsAnswers: { A: [1, 0, 0, 2] }, callSetup: { counts: [0, 1], sum: 3 } });
    const s = addTotals(a, b);
    expect(s.sipRequests).toEqual({ INVITE: 3, BYE: 4 });
    expect(s.sipReplies).toEqual({ INVITE: [2, 2, 0, 1, 0, 0], BYE: [0, 4, 0, 0, 0, 0] });
    expect(s.dnsAnswers).toEqual({ A: [4, 0, 0, 2] });
    expect(s.shed).toBe(3);
    expect(s.callSetup.counts.slice(0, 2)).toEqual([1, 1]);
    expect(s.callSetup.sum).toBeCloseTo(3.2);
    // The inputs are not changed.
    expect(a.sipReplies.INVITE).toEqual([1, 2, 0, 0, 0, 0]);
  });

  test('the ledger: live workers replace their totals, a retired worker stays counted, a new one adds from 0', () => {
    const l = new TotalsLedger();
    l.update(1, totals({ sipRequests: { INVITE: 5 } }));
    l.update(2, totals({ sipRequests: { INVITE: 3 } }));
    l.update(1, totals({ sipRequests: { INVITE: 7 } })); // cumulative: replaces, does not add
    expect(l.sum().sipRequests).toEqual({ INVITE: 10 });
    l.retire(1);
    expect(l.sum().sipRequests).toEqual({ INVITE: 10 });
    l.update(3, totals({ sipRequests: { INVITE: 1 } })); // the replacement starts from zero
    expect(l.sum().sipRequests).toEqual({ INVITE: 11 });
    l.retire(1); // twice: nothing more
    l.retire(99); // never reported
    expect(l.sum().sipRequests).toEqual({ INVITE: 11 });
  });

  test.each([
    ['not an object', 42],
    ['a negative count', { ...emptyTotals(), shed: -1 }],
    ['a string count', { ...emptyTotals(), sipRequests: { INVITE: '5' } }],
    ['NaN', { ...emptyTotals(), banned: NaN }],
    ['too many methods', { ...emptyTotals(), sipRequests: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`M${i}`, 1])) }],
    ['an oversized vector', { ...emptyTotals(), dnsAnswers: { A: new Array(65).fill(1) } }],
    ['no histogram', { ...emptyTotals(), callSetup: undefined }],
  ])('malformed totals from the IPC are refused: %s', (_, value) => {
    expect(isWorkerTotals(value)).toBe(false);
    const l = new TotalsLedger();
    l.update(1, totals({ shed: 4 }));
    l.update(1, value);
    expect(l.sum().shed).toBe(4);
  });

  test('well-formed totals pass (through JSON, as the IPC carries them)', () => {
    expect(isWorkerTotals(JSON.parse(JSON.stringify(totals({ sipRequests: { INVITE: 1 }, sipReplies: { INVITE: [0, 1, 0, 0, 0, 0] } }))))).toBe(true);
  });
});
