import type { ExtensionRecord } from '../../../system/store/index.ts';
import type { Cidr } from '../../../system/config/index.ts';
import type { SipRequest, Source } from '../message/types.ts';
import type { SipUri } from '../message/uri.ts';
import type { Target, UpstreamAuthorizer } from '../proxy/targets.ts';
import type { RegistrarSettings } from '../registrar/registrar-rules.ts';
import type { ServerTransaction } from '../transaction/server-transaction.ts';
import type { FamilyAdvertise } from '../transport/advertise-for.ts';
import type { Destination } from '../transport/transport.ts';
import type { FeatureCodesConfig } from '../../../system/config/index.ts';
import type { FeatureAction } from '../pbx/feature-code.ts';
import type { FlowMembers } from '../proxy/flow-routes.ts';
import type { FlowAddress } from '../../../system/store/source-key.ts';

/** Settings the SIP pipeline reads, precomputed from the config at start (STYLE.md §9). */
export interface SipSettings {
  readonly domain: string;
  /** Host names and addresses that mean "this appliance" in a URI (domain, advertise, listen; IPv6 bare and bracketed). */
  readonly localHosts: ReadonlySet<string>;
  /** The primary family's advertised address. */
  readonly advertise: string;
  /**
   * What we advertise per family, the primary first (dual stack: a message leaving over IPv6
   * names our IPv6 address, transport/advertise-for.ts); one entry with one listen address.
   */
  readonly advertiseByFamily: readonly FamilyAdvertise[];
  /** Shared SIP port (Record-Route, Contact). */
  readonly port: number;
  /** This worker's own port (Via). */
  viaPort: number;
  /** The shared SIP-over-TLS port (RFC 3261 §26); undefined when TLS is off. */
  tlsPort?: number;
  readonly trusted: readonly Cidr[];
  /** SIP addresses of our peer appliances: what they forward after a hand-off was authenticated there. */
  readonly peerHosts: ReadonlySet<string>;
  /** Our name and our peers' SIP addresses: a TCP/TLS phone on a peer is reached through it (proxy/flow-routes.ts). */
  readonly flowMembers: FlowMembers;
  readonly mode: 'proxy' | 'redirect';
  readonly registrar: RegistrarSettings;
  /** Transports we listen on (a tcp contact cannot be reached without tcp). */
  readonly tcp: boolean;
  /** Unauthenticated strangers may call our users (`[security] anonymous_inbound`). */
  readonly anonymousInbound: boolean;
  /** Open transactions held at most; new requests beyond it get 503. */
  readonly maxTransactions: number;
  /** Dialled numbers never shed nor handed off (`[emergency] numbers`). */
  readonly emergencyNumbers: ReadonlySet<string>;
  /**
   * The worker slots' Via ports, `[sip] worker_port_base` + 0 … max_workers − 1 (empty when
   * the base is 0): known from the config alone, so a worker just spawned already knows where
   * its siblings' responses go, before any `siblings` message has reached it.
   */
  readonly workerViaPorts: { readonly base: number; readonly count: number };
}

/** The flows this appliance holds, as a peer's flow token names them (security/flow-token.ts, stages/flow-token.ts). */
export interface FlowServices {
  /** The stream flow a token names, when we issued it. */
  read(token: string): FlowAddress | undefined;
  /** The connection is open in this worker or a sibling. */
  alive(connection: string): boolean;
  /** The token naming a flow of ours, for its binding (stages/registrar.ts). */
  issue(flow: FlowAddress): string;
}

/** Where the stages report abuse (security/source-guard.ts behind it). */
export interface AbuseReporter {
  /** A failed login or a forged request from `source`; enough of them ban the address. */
  failed(source: Source, what: string, user?: string): void;
}

/** A call over a SIP trunk (issue 14), as the trunk stages decided it. */
/**
 * Whose outside call it is, for its permissions and caller ID: an extension, or a ring group
 * calling an outside member (its own class and limits, no caller ID of its own: the trunk's).
 */
export type OutsideCaller = Pick<ExtensionRecord, 'number' | 'callClass' | 'maxOutsideCalls' | 'outsideCallsPerHour' | 'outboundCallerId'>;

export interface TrunkCall {
  readonly trunk: string;
  readonly direction: 'outbound' | 'inbound' | 'emergency';
  /** What the far end receives: the provider's number (outbound), or the extension (inbound). */
  readonly routedTo: string;
  /** The extension whose forward sent the call outside (it counts against that extension's limits). */
  readonly forwardedBy?: string;
}

/** The route an outside call takes (trunks/dial-plan.ts). */
export interface OutsideCallRoute {
  readonly route: string;
  readonly trunk: string;
  /** Further trunks, in order, tried on 503, no answer, or when the ones before are down. */
  readonly failover: readonly string[];
  readonly number: string;
  readonly class: string;
}

/** The outside line as the trunk stages use it (trunks/trunk-directory.ts implements it). */
export interface TrunkRouting {
  /** The trunk whose provider sends from this address, if any. */
  trunkAt(address: string): string | undefined;
  /** The extension a call on `trunk` naming these numbers reaches (`[[inbound]]`). */
  inbound(trunk: string, numbers: readonly (string | undefined)[]): string | undefined;
  /** Where a number an extension dialled goes (`[[routes]]`, `[emergency]`), if outside. */
  route(dialled: string): OutsideCallRoute | undefined;
  /** Why this extension may not make this call now (its class, its limits), or undefined. */
  refusal(extension: OutsideCaller, route: OutsideCallRoute): string | undefined;
  /** An outside call of this extension leaves now: it counts against its limits until its record exists. */
  placed(callId: string, extension: string): void;
  /** The trunk's registration failed: its calls get 503 at once instead of timing out. */
  isDown(trunk: string): boolean;
  /**
   * The next hop for the route's number: the registrar of its trunk, then of each fail-over
   * trunk (those down skipped, except for an emergency call), each destination with its
   * trunk's credentials and our identity towards that provider (P-Asserted-Identity, RFC 3325,
   * as Target.headers). `onTrunk` hears which trunk the call uses, when that is not the route's
   * own: at once (the trunk is down) or when fail-over moves on.
   */
  target(route: OutsideCallRoute, caller: OutsideCaller, onTrunk?: (trunk: string) => void): Promise<Target | undefined>;
  /** An outside call placed here got its final response: its call record counts it from now on. */
  recorded(callId: string): void;
  /**
   * The trunk whose provider is at `address`, for a request inside a call through it (a
   * re-INVITE, a BYE): its credentials should the provider challenge it (RFC 3261 §22.3), and
   * how its TLS certificate is checked; undefined for any other address.
   */
  nextHopAt(address: string): TrunkHop | undefined;
}

/** What a request towards a trunk's provider carries (`TrunkRouting.nextHopAt`). */
export interface TrunkHop {
  readonly authorize?: UpstreamAuthorizer;
  readonly trust: NonNullable<Destination['trust']>;
}

/** A feature code's result: what the phone's display says, and the status when refused. */
export type FeatureResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly status: number; readonly text: string };

/** The feature codes (pbx/feature-code.ts) and who applies them to the store (admin/feature-code-control.ts). */
export interface FeatureCodeControl {
  readonly codes: FeatureCodesConfig;
  /** Applies a code the authenticated `extension` dialled, to its own features. */
  apply(extension: string, action: Exclude<FeatureAction, { kind: 'incomplete' }>): FeatureResult;
}

/** One request's state on its way through the pipeline: what replies and relays read. */
export interface RequestState {
  readonly req: SipRequest;
  readonly source: Source;
  /** Parsed Request-URI (sip/sips), set by the sanity stage. */
  ruri?: SipUri;
  /** Transaction key of the request (RFC 3261 §17.2.3), set by the transaction stage. */
  txKey?: string;
  st?: ServerTransaction;
  /** Source is a trusted address: no digest (gateway, benchmark harness); set on arrival. */
  readonly trusted: boolean;
  /** The extension the request was authenticated as. */
  authUser?: string;
  /** Its record as the credentials were checked against it (one store read per request: the registrar and the asserted identity reuse it). */
  authExtension?: ExtensionRecord;
  /** Set by the trunk stages for a call to or from a trunk. */
  trunkCall?: TrunkCall;
  /** The flow token in the user part of the Route of ours the in-dialog stage popped (stages/flow-token.ts). */
  flowToken?: string;
  /**
   * Set by the hand-off stage when it sent this new request to the peer we handed off to, and
   * how: its call is the peer's to record (sip/call-owner.ts).
   */
  handOff?: 'forward' | 'redirect';
}

/**
 * A request with the parts of the SIP side a stage uses (`S`: an intersection of the small
 * interfaces in services.ts; the pipeline runs with all of them, `PipelineServices`).
 */
export interface RequestContext<S> extends RequestState {
  readonly services: S;
}

/** A stage returns "continue" to pass the request on, "handled" when it is done with it. */
export type StageResult = 'continue' | 'handled';

/**
 * One named stage of the request pipeline (like a Kamailio route block); `S` names the parts
 * it uses (services.ts), and a stage that touches any other part does not compile.
 */
export interface Stage<S> {
  readonly name: string;
  readonly run: (ctx: RequestContext<S>) => StageResult | Promise<StageResult>;
}
