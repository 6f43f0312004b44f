import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Destination } from '../transport/transport.ts';

/**
 * Answers a next hop's digest challenge for a request we forward (a SIP trunk's 407, as
 * Kamailio's `uac_auth` does): the header fields to add to the request sent again, or
 * undefined when this challenge cannot be answered.
 */
export interface UpstreamAuthorizer {
  answer(challenge: SipResponse, forwarded: SipRequest): Record<string, string> | undefined;
}

/** One place to forward a request to: the Request-URI to put and where to send it. */
export interface Target {
  /** Request-URI of the forwarded request (the registered Contact, or the next hop's URI). */
  readonly uri: string;
  readonly dest: Destination;
  /**
   * A Route pushed on top of the forwarded request (RFC 3261 §16.6 step 7): the way to a peer
   * holding the phone's connection, `sip:<flow token>@<peer>;lr` (flow-routes.ts); `dest` is that peer.
   */
  readonly route?: string;
  /** Further destinations of the same URI, tried in order on 503 or no answer (RFC 3263 §4.3, failover.ts). */
  readonly fallbacks?: readonly Target[];
  /** Credentials for this next hop's challenges (a trunk account; proxy/upstream-auth.ts). */
  readonly authorize?: UpstreamAuthorizer;
  /**
   * Told when this destination, and the fallbacks after it that carry the same function,
   * answered nothing at all (silence for 8·T1 or Timer B): the target is then given up after
   * 4 s instead of 32 s (proxy/failover.ts). A trunk's destinations share one (its provider gone).
   */
  readonly onUnanswered?: () => void;
  /** Told when fail-over moves on to this destination (a fallback; a trunk's fail-over trunk). */
  readonly onStart?: () => void;
  /** The extension whose phone this is (busy lamps and pickup follow its calls, sip/events/); absent for trunks and other domains. */
  readonly extension?: string;
  /** Header fields added to the forwarded request when it has none of that name (History-Info, proxy/planned-locator.ts). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A forward to an outside number (issue 15): the call leaves over `trunk` for the forwarding
   * extension, so it counts against that extension's outside-call limits and its record says so.
   */
  readonly outsideLeg?: { readonly trunk: string; readonly routedTo: string; readonly forwardedBy: string };
}

/**
 * Serial forking after a relay's targets (proxy/serial-fork.ts): how long they ring, and what
 * comes after them given how they ended (undefined: nothing, the best response goes upstream).
 */
export interface SerialStep {
  readonly ringMs?: number;
  readonly next?: (outcome: { readonly statuses: readonly number[]; readonly rangOut: boolean }) => Promise<RouteDecision> | undefined;
}

/** What the routing decision returns (STYLE.md §5): relay to targets (then maybe more, serially), reply, or redirect. */
export type RouteDecision =
  | { readonly kind: 'relay'; readonly targets: readonly Target[]; readonly serial?: SerialStep }
  | { readonly kind: 'reply'; readonly status: number; readonly reason?: string; readonly headers?: Record<string, unknown> }
  | { readonly kind: 'redirect'; readonly contacts: readonly string[] };
