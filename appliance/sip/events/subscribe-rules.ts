import type { SubscriptionEvent, SubscriptionRecord } from '../../../system/store/index.ts';
import { DIALOG_INFO_TYPE, PIDF_TYPE } from './event-bodies.ts';
import { statusFor } from '../../../system/errors/index.ts';

/** Limits of the notifier (docs/PBX.md "Busy lamps"). */
export const SUBSCRIPTION_LIMITS = {
  /** RFC 4235 §3.3 and RFC 3856 §6.4: the packages' default duration. */
  defaultExpires: 3600,
  /** Shorter is refused with 423 and Min-Expires (RFC 6665 §4.2.1.1). */
  minExpires: 60,
  /** Longer is granted this much (the 200's Expires says so, §4.2.1.1). */
  maxExpires: 3600,
  /** Subscriptions one extension may hold (a phone with a 40-key side car watches 40). */
  perSubscriber: 64,
} as const;

/** The Event header's package and `id` parameter (RFC 6665 §8.2.1), if it names one of ours. */
export function eventPackage(raw: unknown): { readonly event: SubscriptionEvent; readonly id: string } | undefined {
  if (typeof raw !== 'string') return undefined;
  const [pkg, ...params] = raw.split(';').map((p) => p.trim());
  const event = pkg.toLowerCase();
  if (event !== 'dialog' && event !== 'presence') return undefined;
  const idParam = params.find((p) => /^id\s*=/i.test(p));
  const id = idParam ? idParam.slice(idParam.indexOf('=') + 1).trim().replace(/^"|"$/g, '') : '';
  // The id goes back in every NOTIFY's Event header: a token (RFC 3261 §25.1) and short.
  if (!/^[\w.!%*+`'~-]{0,64}$/.test(id)) return undefined;
  return { event, id };
}

/** What the SUBSCRIBE asks, as the stage read it off the request. */
export interface SubscribeInput {
  readonly event: SubscriptionEvent;
  readonly expiresHeader: string | undefined;
  readonly accept: string | undefined;
  /** The subscription an in-dialog SUBSCRIBE names (To tag), if the store has it; undefined for a new one. */
  readonly existing: SubscriptionRecord | undefined;
  /** True when the SUBSCRIBE carries a To tag. */
  readonly inDialog: boolean;
  readonly subscriber: string;
  /** The extension watched (new subscriptions), undefined when the Request-URI names none. */
  readonly target: string | undefined;
  /** Subscriptions the subscriber holds now. */
  readonly held: number;
}

/** The decision (STYLE.md §5): refuse, or create / refresh / end a subscription for `expires` seconds. */
export type SubscribeDecision =
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string; readonly headers?: Record<string, string> }
  | { readonly kind: 'create'; readonly expires: number }
  | { readonly kind: 'refresh'; readonly expires: number }
  /** Expires 0: an unsubscribe, or a one-off fetch of the state (RFC 6665 §4.2.1.4, §3.3.6). */
  | { readonly kind: 'end' };

/** RFC 6665 §4.2.1 for our two packages: what to do with an authenticated SUBSCRIBE. */
export function decideSubscribe(i: SubscribeInput, limits = SUBSCRIPTION_LIMITS): SubscribeDecision {
  const type = i.event === 'dialog' ? DIALOG_INFO_TYPE : PIDF_TYPE;
  // §4.2.1 / RFC 3261 §21.4.7: a body type the subscriber does not take is 406.
  if (i.accept !== undefined && i.accept.trim() !== '' && !accepts(i.accept, type)) return { kind: 'reject', status: statusFor('not-acceptable').sip, reason: 'Not Acceptable', headers: { accept: type } };
  let expires: number = limits.defaultExpires;
  if (i.expiresHeader !== undefined) {
    if (!/^\s*\d{1,10}\s*$/.test(i.expiresHeader)) return { kind: 'reject', status: statusFor('malformed-message').sip, reason: 'Bad Expires' };
    expires = Number(i.expiresHeader);
  }
  if (expires > 0 && expires < limits.minExpires) return { kind: 'reject', status: statusFor('interval-too-brief').sip, reason: 'Interval Too Brief', headers: { 'min-expires': String(limits.minExpires) } };
  expires = Math.min(expires, limits.maxExpires);
  if (i.inDialog) {
    // §4.2.1.2: a refresh of a subscription we do not have (expired, removed, never ours).
    if (!i.existing || i.existing.subscriber !== i.subscriber) return { kind: 'reject', status: 481, reason: 'Subscription Does Not Exist' };
    return expires === 0 ? { kind: 'end' } : { kind: 'refresh', expires };
  }
  if (!i.target) return { kind: 'reject', status: statusFor('not-found').sip, reason: 'Not Found' };
  if (expires === 0) return { kind: 'end' };
  if (i.held >= limits.perSubscriber) return { kind: 'reject', status: statusFor('forbidden').sip, reason: 'Too Many Subscriptions' };
  return { kind: 'create', expires };
}

/** Accept header (RFC 3261 §20.1) naming `type`, `type/*` or `*\/*`. */
function accepts(accept: string, type: string): boolean {
  const [major] = type.split('/');
  return accept.split(',').map((a) => a.split(';')[0].trim().toLowerCase()).some((a) => a === type || a === '*/*' || a === `${major}/*`);
}
