import type { DigestChallenge, RegisterResponse } from './register-response.ts';

/**
 * A trunk's registration as a UA (RFC 3261 §10.2), as a pure state machine: `step(state,
 * event, now)` returns the next state and what the edge must do (send a REGISTER, wait).
 * The edge (trunk-registrar.ts) owns sockets, timers and the challenge's cnonce.
 */

/** What the admin sees (docs/TRUNKS.md). "static" (register = false) never enters this machine. */
export type RegistrationStatus = 'registering' | 'up' | 'failed' | 'unregistered';

/** Timing of registrations and retries, milliseconds unless named otherwise (one table, STYLE.md §4). */
export const REGISTRATION_TIMERS = {
  /** Expiry we ask for (RFC 3261 §10.2.1.1: 3600 is the default a registrar assumes). */
  requestedExpiresS: 3600,
  /** First retry after a failure; doubled per failure in a row up to `retryCapMs`. */
  retryBaseMs: 2_000,
  retryCapMs: 300_000,
  /** A refresh is never sooner than this after a success (a registrar granting 1 s would otherwise spin us). */
  minRefreshMs: 500,
  /** Challenges answered per attempt at most (stale nonces included); beyond: failed. */
  maxAnswers: 3,
  /** Min-Expires we accept from a 423 at most (a day); a larger demand is a failure. */
  maxMinExpiresS: 86_400,
  /**
   * A grant longer than a week counts as a week: a timer beyond 2^31 ms (24.8 days) fires at
   * once in Node and Bun, so a hostile or broken registrar granting 10^9 s would make us spin.
   */
  maxGrantedS: 604_800,
} as const;

export interface RegistrationState {
  readonly status: RegistrationStatus;
  /** Why it is failed: the provider's status and reason, or what went wrong on our side. */
  readonly reason: string | undefined;
  /** Expiry asked for in each REGISTER (raised by a 423's Min-Expires, RFC 3261 §10.2.8). */
  readonly expiresS: number;
  /** When the binding the registrar granted runs out (ms epoch), while up. */
  readonly expiresAt: number | undefined;
  /** Failures in a row (back-off). */
  readonly failures: number;
  /** When the next attempt or refresh is due (ms epoch), or undefined while a REGISTER is out. */
  readonly nextAt: number | undefined;
  /** Challenges answered in this attempt: the pending REGISTER carries an answer when > 0. */
  readonly answers: number;
  /** Unregistering (Expires: 0) on stop. */
  readonly stopping: boolean;
}

export type RegistrationEvent =
  | { readonly kind: 'start' }
  /** The wait the last step asked for is over. */
  | { readonly kind: 'timer' }
  | { readonly kind: 'response'; readonly response: RegisterResponse }
  /** Timer F fired, or the transport could not send (RFC 3261 §8.1.3.1: treated as 408). */
  | { readonly kind: 'timeout' }
  /** No destination: the registrar's name did not resolve (RFC 3263), or no route to it. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** The registrar left an OPTIONS keep-alive unanswered (trunk-registrar.ts): it is gone now, not at the next refresh. */
  | { readonly kind: 'probe-lost' }
  | { readonly kind: 'stop' };

export type RegistrationAction =
  /** Send a REGISTER asking for `expiresS` (0: remove our binding), answering `challenge` if given. */
  | { readonly kind: 'send'; readonly expiresS: number; readonly challenge?: DigestChallenge }
  /** Deliver `timer` in `ms`. */
  | { readonly kind: 'wait'; readonly ms: number }
  /** Stopped: nothing more will be sent. */
  | { readonly kind: 'done' };

export interface Step {
  readonly state: RegistrationState;
  readonly actions: readonly RegistrationAction[];
}

/** The state before `start`. */
export function initialRegistration(expiresS: number = REGISTRATION_TIMERS.requestedExpiresS): RegistrationState {
  return { status: 'registering', reason: undefined, expiresS, expiresAt: undefined, failures: 0, nextAt: undefined, answers: 0, stopping: false };
}

/** Back-off after the n-th failure in a row: base · 2^(n-1), capped. */
export function retryDelayMs(failures: number): number {
  const t = REGISTRATION_TIMERS;
  return Math.min(t.retryCapMs, t.retryBaseMs * 2 ** Math.max(0, Math.min(30, failures - 1)));
}

/** When to refresh a binding granted for `grantedS`: at about half its life (the issue; Kamailio uac_reg does the same). */
export function refreshDelayMs(grantedS: number): number {
  return Math.max(REGISTRATION_TIMERS.minRefreshMs, Math.floor(grantedS * 500));
}

/** One transition. Pure: the same state, event and time give the same step. */
export function step(s: RegistrationState, ev: RegistrationEvent, now: number): Step {
  switch (ev.kind) {
    case 'start':
      return send({ ...s, status: 'registering', stopping: false }, s.expiresS);
    case 'timer':
      if (s.nextAt === undefined) return { state: s, actions: [] };
      // A refresh keeps showing "up", a retry keeps showing "failed" with its reason.
      return send(s, s.expiresS);
    case 'stop':
      // RFC 3261 §10.2.2: Expires 0 removes our binding; only worth it while one may exist.
      if (s.status === 'up' && s.expiresAt !== undefined && s.expiresAt > now && !s.stopping) return send({ ...s, stopping: true }, 0);
      return done(s);
    case 'timeout':
      return failure(s, 'no answer from the registrar (timeout)', now);
    case 'unreachable':
      return failure(s, ev.reason, now);
    case 'probe-lost':
      // Only a registered trunk is judged by its keep-alive; otherwise the REGISTERs are.
      if (s.status !== 'up' || s.stopping) return { state: s, actions: [] };
      return failure(s, 'no answer to the OPTIONS keep-alive (provider gone?)', now);
    case 'response':
      return onResponse(s, ev.response, now);
  }
}

function onResponse(s: RegistrationState, r: RegisterResponse, now: number): Step {
  if (r.status < 200) return { state: s, actions: [] };
  if (r.status < 300) {
    if (s.stopping) return done(s);
    // §10.2.4: the expiry is the registrar's choice, it may be shorter than asked.
    const granted = Math.min(r.granted ?? s.expiresS, REGISTRATION_TIMERS.maxGrantedS);
    if (granted <= 0) return failure(s, `${r.status} ${r.reason} without our Contact (expires 0)`, now);
    const wait = refreshDelayMs(granted);
    return {
      state: { ...s, status: 'up', reason: undefined, expiresAt: now + granted * 1000, failures: 0, answers: 0, nextAt: now + wait },
      actions: [{ kind: 'wait', ms: wait }],
    };
  }
  if (r.status === 401 || r.status === 407) {
    // §22.4: answer each challenge once. A new challenge after our answer means the
    // credentials were refused, unless it only says the nonce went stale (RFC 2617 §3.2.1).
    const c = r.challenges[0];
    if (!c) return failure(s, `${r.status} ${r.reason} (no MD5 or SHA-256 digest challenge we can answer)`, now);
    if (s.answers > 0 && !c.stale) return failure(s, `${r.status} ${r.reason} (credentials refused)`, now);
    if (s.answers >= REGISTRATION_TIMERS.maxAnswers) return failure(s, `${r.status} ${r.reason} (challenged ${s.answers} times in a row)`, now);
    return send({ ...s, answers: s.answers + 1 }, s.stopping ? 0 : s.expiresS, c);
  }
  if (r.status === 423 && !s.stopping) {
    // §10.2.8: retry with at least Min-Expires; a missing or useless one cannot be followed.
    const min = r.minExpires;
    if (min === undefined || min <= s.expiresS || min > REGISTRATION_TIMERS.maxMinExpiresS) {
      return failure(s, `${r.status} ${r.reason} (Min-Expires ${min ?? 'missing'} cannot be followed)`, now);
    }
    return send({ ...s, expiresS: min, answers: 0 }, min);
  }
  // 403 and every other final failure: the provider's own words for the admin, then back-off.
  return failure(s, `${r.status} ${r.reason}`, now, r.retryAfter);
}

function send(s: RegistrationState, expiresS: number, challenge?: DigestChallenge): Step {
  const answers = challenge ? s.answers : 0;
  return { state: { ...s, nextAt: undefined, answers }, actions: [{ kind: 'send', expiresS, ...(challenge ? { challenge } : {}) }] };
}

function failure(s: RegistrationState, reason: string, now: number, retryAfterS?: number): Step {
  if (s.stopping) return done(s);
  const failures = s.failures + 1;
  // RFC 3261 §21.5.4: a 503's Retry-After is honoured when it asks for longer (capped all the same).
  const wait = Math.min(REGISTRATION_TIMERS.retryCapMs, Math.max(retryDelayMs(failures), (retryAfterS ?? 0) * 1000));
  return {
    state: { ...s, status: 'failed', reason, failures, answers: 0, expiresAt: undefined, nextAt: now + wait },
    actions: [{ kind: 'wait', ms: wait }],
  };
}

function done(s: RegistrationState): Step {
  return { state: { ...s, status: 'unregistered', reason: undefined, expiresAt: undefined, nextAt: undefined, answers: 0, stopping: false }, actions: [{ kind: 'done' }] };
}
