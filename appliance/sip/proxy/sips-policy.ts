import type { Target } from './targets.ts';
import { statusFor } from '../../../system/errors/index.ts';

/** What becomes of a request's targets under the SIPS rules. */
export type SipsOutcome =
  | { readonly kind: 'send'; readonly targets: readonly Target[] }
  | { readonly kind: 'reply'; readonly status: number; readonly reason: string };

/**
 * A request for a `sips:` Request-URI travels over TLS on every hop (RFC 3261 §26.2.2, RFC 5630
 * §3.1.1): targets that are not reached over TLS are dropped. When none is left, 480 (RFC 5630
 * §4.2: the callee has no contact reachable securely, perhaps for now); when this appliance does
 * not speak TLS at all, 416 Unsupported URI Scheme (RFC 3261 §8.2.2.1). A `sip:` request goes to
 * every target unchanged (a TLS leg for it is an upgrade, allowed by RFC 5630 §3.1.3).
 */
export function sipsTargets(requestUri: string, targets: readonly Target[], tlsEnabled: boolean): SipsOutcome {
  if (!/^sips:/i.test(requestUri)) return { kind: 'send', targets };
  if (!tlsEnabled) return { kind: 'reply', status: statusFor('unsupported-uri-scheme').sip, reason: 'Unsupported URI Scheme' };
  const secure = targets.filter((t) => t.dest.transport === 'tls');
  return secure.length > 0 ? { kind: 'send', targets: secure } : { kind: 'reply', status: 480, reason: 'No TLS contact for a SIPS request' };
}
