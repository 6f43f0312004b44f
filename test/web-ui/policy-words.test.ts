import { describe, expect, test } from 'bun:test';
import { defaultPolicySettings } from '../../appliance/control/policy/settings.ts';
import { aboutTime, ownState, policySummary, type HandOffView, type PolicyView } from '../../web-ui/policy-words.ts';

/** The Peers page's words for the policy and this appliance's own state (web-ui/policy-words.ts). */
const policy = (over: Partial<PolicyView> = {}): PolicyView => ({ ...defaultPolicySettings(2), peers: [], ...over }) as PolicyView;
const fmt = (ts: number) => `T${ts}`;
const handOff = (over: Partial<HandOffView> = {}): HandOffView => ({ to: null, cause: null, holds: [], since: null, pending: false, lastFailureAt: null, lastFailure: null, ...over });

describe('policy in words', () => {
  test('the defaults, no peers: workers, scaling with its windows in seconds, the host, shedding, no hand-off', () => {
    const lines = policySummary(policy(), 2);
    expect(lines).toEqual([
      'It runs between 1 and 2 workers (connection control sections), one per CPU core at most.',
      'It adds a worker when they are busy (75 % or more) in 3 of the last 5 samples (about 10 s), at most every 10 s, and removes one after 10 of 12 samples (about 24 s) at 25 % or less.',
      'The host counts as overloaded too when its CPU reaches 90 % while the workers are at least 50 % busy, or the CPU temperature reaches 90 °C.',
      'With every worker busy it sheds: new calls and registrations beyond what keeps the workers near 70 % are answered "503, try again in 10–120 s"; calls in progress and emergency calls are never refused, and at least 1 call/s and 2 registrations/s per worker always get through.',
      'No peer appliance is configured, so it never hands traffic off: shedding is the last step.',
    ]);
  });
  test('one fixed worker: shedding is the first step', () => {
    const lines = policySummary(policy({ minWorkers: 1, maxWorkers: 1 }), null);
    expect(lines[0]).toBe('It always runs 1 worker (connection control sections).');
    expect(lines[1]).toBe('When the workers are busy (75 % or more) in 3 of the last 5 samples, it cannot add one, so it starts shedding.');
  });
  test('peers: hand-off after shedding, retry, take-back only of its own hand-off', () => {
    const lines = policySummary(policy({ peers: ['b', 'c'] }), 2);
    expect(lines[4]).toBe('After 15 samples of shedding (about 30 s) it hands new calls and registrations to the least loaded of b, c; a refused hand-off is tried again after 30 s.');
    expect(lines[5]).toBe('It takes its traffic back after 60 calm samples (about 2 min) without shedding (only a hand-off the policy made: one an admin made is taken back by an admin).');
    expect(policySummary(policy({ peers: ['b'] }), 2)[4]).toContain('to the peer b;');
  });
  test.each([[5, 2, ' (about 10 s)'], [60, 2, ' (about 2 min)'], [5, null, '']] as const)('%p samples at %p s → %p', (n, period, text) => {
    expect(aboutTime(n, period)).toBe(text);
  });
});

describe('this appliance\'s own state', () => {
  const shed = { since: 5, callsPerSecond: 12, registersPerSecond: 30, retryAfterSeconds: 15, reason: 'saturated' };
  test('normal', () => {
    expect(ownState(handOff(), null, fmt)).toEqual({ state: 'normal', headline: 'carrying its own traffic', detail: 'Nothing is shed and nothing is handed off.' });
    expect(ownState(undefined, undefined, fmt).state).toBe('normal');
  });
  test('shedding: since when, the admitted rates and why', () => {
    const s = ownState(handOff(), shed, fmt);
    expect(s.state).toBe('shedding');
    expect(s.headline).toBe('since T5');
    expect(s.detail).toBe('Overloaded: each worker admits 12 new calls/s and 30 registrations/s; beyond that phones are told to retry in 15 s. Calls in progress and emergency calls go on. Why: saturated.');
  });
  test.each([
    ['policy', 'Why: the overload policy: this appliance was shedding and could not keep up.'],
    ['admin', 'Why: an admin handed it off (Peers page or CLI).'],
    [null, 'Why: not recorded.'],
  ] as const)('handed off by %p (wins over shedding)', (cause, why) => {
    const s = ownState(handOff({ to: 'b', cause, since: 7 }), shed, fmt);
    expect(s.state).toBe('handed-off');
    expect(s.headline).toBe('to b since T7');
    expect(s.detail).toBe(`New calls and registrations go to b; calls already up stay here. ${why}`);
  });
});
