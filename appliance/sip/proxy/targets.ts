import type { Destination } from '../transport/transport.ts';

/** One place to forward a request to: the Request-URI to put and where to send it. */
export interface Target {
  /** Request-URI of the forwarded request (the registered Contact, or the next hop's URI). */
  readonly uri: string;
  readonly dest: Destination;
  /** Further destinations of the same URI, tried in order on 503 or no answer (RFC 3263 §4.3, failover.ts). */
  readonly fallbacks?: readonly Target[];
}

/** What the routing decision returns (STYLE.md §5): relay to targets, reply, or redirect. */
export type RouteDecision =
  | { readonly kind: 'relay'; readonly targets: readonly Target[] }
  | { readonly kind: 'reply'; readonly status: number; readonly reason?: string; readonly headers?: Record<string, unknown> }
  | { readonly kind: 'redirect'; readonly contacts: readonly string[] };
