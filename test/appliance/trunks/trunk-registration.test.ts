import { describe, expect, test } from 'bun:test';
import type { DigestChallenge, RegisterResponse } from '../../../appliance/trunks/register-response.ts';
import {
  initialRegistration, REGISTRATION_TIMERS, refreshDelayMs, retryDelayMs, step, type RegistrationEvent, type RegistrationState, type Step,
} from '../../../appliance/trunks/trunk-registration.ts';

/** The trunk registration state machine (RFC 3261 §10.2 as a UA): table-driven, no sockets. */
const T0 = 1_000_000;
const md5: DigestChallenge = { realm: 'provider.example', nonce: 'n1', opaque: undefined, algorithm: 'MD5', qop: 'auth', stale: false, proxy: false };
const res = (status: number, reason: string, over: Partial<RegisterResponse> = {}): RegistrationEvent => ({
  kind: 'response', response: { status, reason, challenges: [], minExpires: undefined, granted: undefined, retryAfter: undefined, ...over },
});

/** Runs events in order from the initial state, returning every step. */
function run(events: RegistrationEvent[], from: RegistrationState = initialRegistration(), now = T0): Step[] {
  const steps: Step[] = [];
  let s = from;
  for (const ev of events) {
    const st = step(s, ev, now);
    steps.push(st);
    s = st.state;
  }
  return steps;
}
const last = (steps: Step[]) => steps[steps.length - 1];

describe('trunk registration: the happy path', () => {
  test('start sends a REGISTER without credentials asking for 3600 s', () => {
    expect(run([{ kind: 'start' }])[0]).toEqual({ state: expect.objectContaining({ status: 'registering' }), actions: [{ kind: 'send', expiresS: 3600 }] });
  });
  test('401 → one answer with the challenge → 200: up, refresh at half the granted expiry', () => {
    const steps = run([{ kind: 'start' }, res(401, 'Unauthorized', { challenges: [md5] }), res(200, 'OK', { granted: 600 })]);
    expect(steps[1].actions).toEqual([{ kind: 'send', expiresS: 3600, challenge: md5 }]);
    expect(last(steps).state).toMatchObject({ status: 'up', reason: undefined, expiresAt: T0 + 600_000, failures: 0, nextAt: T0 + 300_000 });
    expect(last(steps).actions).toEqual([{ kind: 'wait', ms: 300_000 }]);
  });
  test('a grant beyond a week counts as a week (a timer past 2^31 ms would fire at once)', () => {
    const s = last(run([{ kind: 'start' }, res(200, 'OK', { granted: 999_999_999 })]));
    expect(s.state.expiresAt).toBe(T0 + 604_800_000);
    expect(s.actions).toEqual([{ kind: 'wait', ms: 302_400_000 }]);
  });
  test('200 without our expiry: the requested one counts (§10.2.4)', () => {
    expect(last(run([{ kind: 'start' }, res(200, 'OK')])).state.expiresAt).toBe(T0 + 3_600_000);
  });
  test('the refresh timer sends again and stays up meanwhile; the next 401 is answered afresh', () => {
    const steps = run([{ kind: 'start' }, res(401, 'Unauthorized', { challenges: [md5] }), res(200, 'OK', { granted: 60 }), { kind: 'timer' }, res(401, 'Unauthorized', { challenges: [{ ...md5, nonce: 'n2' }] })]);
    expect(steps[3].state.status).toBe('up');
    expect(steps[3].actions).toEqual([{ kind: 'send', expiresS: 3600 }]);
    expect(steps[4].actions).toEqual([{ kind: 'send', expiresS: 3600, challenge: { ...md5, nonce: 'n2' } }]);
  });
  test('a stray timer while a REGISTER is out does nothing', () => {
    expect(last(run([{ kind: 'start' }, { kind: 'timer' }])).actions).toEqual([]);
  });
  test('407 is answered too (the challenge says Proxy-Authorization)', () => {
    const c = { ...md5, proxy: true };
    expect(run([{ kind: 'start' }, res(407, 'Proxy Authentication Required', { challenges: [c] })])[1].actions).toEqual([{ kind: 'send', expiresS: 3600, challenge: c }]);
  });
  test('1xx changes nothing', () => {
    const steps = run([{ kind: 'start' }, res(100, 'Trying')]);
    expect(steps[1]).toEqual({ state: steps[0].state, actions: [] });
  });
});

describe('trunk registration: failures', () => {
  const cases: [string, RegistrationEvent[], string][] = [
    ['a second 401 after our answer: credentials refused', [{ kind: 'start' }, res(401, 'Unauthorized', { challenges: [md5] }), res(401, 'Unauthorized', { challenges: [{ ...md5, nonce: 'n2' }] })], '401 Unauthorized (credentials refused)'],
    ['403 with the provider\'s reason', [{ kind: 'start' }, res(401, 'Unauthorized', { challenges: [md5] }), res(403, 'Wrong password')], '403 Wrong password'],
    ['401 without a challenge we can answer', [{ kind: 'start' }, res(401, 'Unauthorized')], '401 Unauthorized (no MD5 or SHA-256 digest challenge we can answer)'],
    ['timeout (Timer F)', [{ kind: 'start' }, { kind: 'timeout' }], 'no answer from the registrar (timeout)'],
    ['registrar not found', [{ kind: 'start' }, { kind: 'unreachable', reason: 'registrar x not found' }], 'registrar x not found'],
    ['404', [{ kind: 'start' }, res(404, 'Not Found')], '404 Not Found'],
    ['423 without Min-Expires', [{ kind: 'start' }, res(423, 'Interval Too Brief')], '423 Interval Too Brief (Min-Expires missing cannot be followed)'],
    ['423 with a Min-Expires no larger than ours', [{ kind: 'start' }, res(423, 'Interval Too Brief', { minExpires: 3600 })], '423 Interval Too Brief (Min-Expires 3600 cannot be followed)'],
    ['stale challenges answered without end', [{ kind: 'start' }, ...Array.from({ length: 4 }, (_, i) => res(401, 'Unauthorized', { challenges: [{ ...md5, nonce: `s${i}`, stale: true }] }))], '401 Unauthorized (challenged 3 times in a row)'],
  ];
  for (const [what, events, reason] of cases) {
    test(`${what} → failed "${reason}", retry after back-off`, () => {
      const s = last(run(events));
      expect(s.state).toMatchObject({ status: 'failed', reason, failures: 1, nextAt: T0 + REGISTRATION_TIMERS.retryBaseMs });
      expect(s.actions).toEqual([{ kind: 'wait', ms: REGISTRATION_TIMERS.retryBaseMs }]);
    });
  }
  test('a stale nonce after our answer is answered again (RFC 2617 §3.2.1)', () => {
    const steps = run([{ kind: 'start' }, res(401, 'Unauthorized', { challenges: [md5] }), res(401, 'Unauthorized', { challenges: [{ ...md5, nonce: 'n2', stale: true }] })]);
    expect(last(steps).actions).toEqual([{ kind: 'send', expiresS: 3600, challenge: { ...md5, nonce: 'n2', stale: true } }]);
  });
  test('back-off doubles per failure in a row to the cap; a success resets it', () => {
    expect([1, 2, 3, 4, 8, 9, 30].map(retryDelayMs)).toEqual([2_000, 4_000, 8_000, 16_000, 256_000, 300_000, 300_000]);
    const events: RegistrationEvent[] = [{ kind: 'start' }];
    for (let i = 0; i < 5; i++) events.push({ kind: 'timeout' }, { kind: 'timer' });
    const steps = run(events);
    expect(steps.filter((s) => s.actions[0]?.kind === 'wait').map((s) => (s.actions[0] as { ms: number }).ms)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
    // Retries keep showing "failed" with the reason until one succeeds.
    expect(last(steps).state).toMatchObject({ status: 'failed', reason: 'no answer from the registrar (timeout)', failures: 5 });
    expect(step(last(steps).state, res(200, 'OK', { granted: 120 }), T0).state).toMatchObject({ status: 'up', failures: 0, reason: undefined });
  });
  test('503 Retry-After longer than the back-off is honoured (capped)', () => {
    expect(last(run([{ kind: 'start' }, res(503, 'Service Unavailable', { retryAfter: 60 })])).actions).toEqual([{ kind: 'wait', ms: 60_000 }]);
    expect(last(run([{ kind: 'start' }, res(503, 'Service Unavailable', { retryAfter: 86_400 })])).actions).toEqual([{ kind: 'wait', ms: REGISTRATION_TIMERS.retryCapMs }]);
  });
  test('a refresh that fails turns an up trunk failed', () => {
    const steps = run([{ kind: 'start' }, res(200, 'OK', { granted: 60 }), { kind: 'timer' }, { kind: 'timeout' }]);
    expect(steps[1].state.status).toBe('up');
    expect(last(steps).state).toMatchObject({ status: 'failed', expiresAt: undefined });
  });
  test('an unanswered keep-alive turns an up trunk failed at once, with a retry soon; before it is up, it changes nothing', () => {
    const steps = run([{ kind: 'start' }, res(200, 'OK', { granted: 3600 }), { kind: 'probe-lost' }]);
    expect(last(steps).state).toMatchObject({ status: 'failed', reason: 'no answer to the OPTIONS keep-alive (provider gone?)', expiresAt: undefined, nextAt: T0 + retryDelayMs(1) });
    expect(last(steps).actions).toEqual([{ kind: 'wait', ms: retryDelayMs(1) }]);
    const early = run([{ kind: 'start' }, { kind: 'probe-lost' }]);
    expect(last(early)).toEqual({ state: early[0].state, actions: [] });
    const failed = run([{ kind: 'start' }, { kind: 'timeout' }, { kind: 'probe-lost' }]);
    expect(last(failed).state.reason).toBe('no answer from the registrar (timeout)');
  });
});

describe('trunk registration: 423 Interval Too Brief (§10.2.8)', () => {
  test('retries at once with Min-Expires and keeps asking for it on refreshes', () => {
    const from = initialRegistration(60);
    const steps = run([{ kind: 'start' }, res(423, 'Interval Too Brief', { minExpires: 300 }), res(401, 'Unauthorized', { challenges: [md5] }), res(200, 'OK', { granted: 300 }), { kind: 'timer' }], from);
    expect(steps[1].actions).toEqual([{ kind: 'send', expiresS: 300 }]);
    expect(steps[2].actions).toEqual([{ kind: 'send', expiresS: 300, challenge: md5 }]);
    expect(steps[3].state).toMatchObject({ status: 'up', expiresS: 300 });
    expect(steps[4].actions).toEqual([{ kind: 'send', expiresS: 300 }]);
  });
  test('a Min-Expires over a day is not followed', () => {
    expect(last(run([{ kind: 'start' }, res(423, 'Interval Too Brief', { minExpires: 86_401 })])).state.status).toBe('failed');
  });
});

describe('trunk registration: stop', () => {
  test('up: Expires 0 (answering its challenge with Expires 0), then unregistered', () => {
    const up = last(run([{ kind: 'start' }, res(200, 'OK', { granted: 600 })])).state;
    const steps = run([{ kind: 'stop' }, res(401, 'Unauthorized', { challenges: [md5] }), res(200, 'OK')], up);
    expect(steps[0].actions).toEqual([{ kind: 'send', expiresS: 0 }]);
    expect(steps[1].actions).toEqual([{ kind: 'send', expiresS: 0, challenge: md5 }]);
    expect(last(steps)).toEqual({ state: expect.objectContaining({ status: 'unregistered' }), actions: [{ kind: 'done' }] });
  });
  test('not registered: done at once; a failure while unregistering ends too', () => {
    expect(run([{ kind: 'start' }, { kind: 'timeout' }, { kind: 'stop' }])[2].actions).toEqual([{ kind: 'done' }]);
    const up = last(run([{ kind: 'start' }, res(200, 'OK', { granted: 600 })])).state;
    expect(last(run([{ kind: 'stop' }, { kind: 'timeout' }], up)).state.status).toBe('unregistered');
  });
  test('refresh at about half: 500 ms floor', () => {
    expect([3600, 60, 1, 0].map(refreshDelayMs)).toEqual([1_800_000, 30_000, 500, 500]);
  });
});
