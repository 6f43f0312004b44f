import type { ExtensionRecord } from '../../../system/store/index.ts';
import type { EventKind } from '../../../system/log/event-kinds.ts';
import type { SipRequest } from '../message/types.ts';
import type { SipUri } from '../message/uri.ts';
import type { RouteDecision, SerialStep, Target } from '../proxy/targets.ts';
import type { LocationView } from '../registrar/location-view.ts';
import type { ServerTransaction } from '../transaction/server-transaction.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import type { DialogTokens } from '../security/dialog-token.ts';
import type { EventServices } from '../events/event-services.ts';
import type { AdmissionControl } from './admission-control.ts';
import type { AbuseReporter, FeatureCodeControl, FlowServices, RequestState, SipSettings, TrunkRouting } from './context.ts';

/*
 * The parts of the SIP side a stage may use, one small interface each (issue 13: stages depend
 * on the unit they use, as SIP.js's `TransactionUser`, not on one bag). A stage names the parts
 * it uses in its type, `Stage<Replies & LocalAddresses>`, so its dependencies read off its
 * signature and the compiler refuses anything else. Each part is built by the unit that owns it
 * (`transactionsPart` in transaction-layer.ts, `relayPart` in proxy-core.ts, ...) and
 * `composeServices` puts them together for the pipeline (sip-service.ts wires it).
 */

/** The SIP settings, precomputed at start. */
export interface Configuration {
  readonly settings: SipSettings;
}

/** Responses we generate ourselves (RFC 3261 §8.2.6, §16.7 step 10 for a proxy). */
export interface Replies {
  /** Sends a response: in the server transaction when there is one, else statelessly. */
  reply(ctx: RequestState, status: number, reason?: string, headers?: Record<string, unknown>): void;
  /** Deterministic To tag of the responses we generate (message/local-tag.ts). */
  toTag(req: SipRequest): string;
}

/** The server transactions (RFC 3261 §17.2, transaction/transaction-layer.ts). */
export interface Transactions {
  /** Open server and client transactions. */
  readonly openTransactions: number;
  /** Finds the server transaction for a request (retransmission, ACK, CANCEL matching, §17.2.3). */
  findServer(key: string): ServerTransaction | undefined;
  /** Creates the server transaction for ctx.request (under ctx.txKey). */
  createServer(ctx: RequestState): ServerTransaction;
}

/** The stateful proxy function (RFC 3261 §16, proxy/proxy-core.ts). */
export interface Relay {
  /** Forwards statefully to the targets (parallel forking); `serial`: what follows them (proxy/serial-fork.ts). */
  relay(ctx: RequestState, targets: readonly Target[], serial?: SerialStep): void;
  /** Forwards without state (ACK for 2xx, RFC 3261 §16.11). */
  relayStateless(ctx: RequestState, target: Target): void;
}

/** Where a URI that names no callee of ours goes (proxy/target-resolver.ts, RFC 3263). */
export interface TargetResolution {
  /** A binding's flow, an IP literal, or a DNS name resolved. */
  resolveUri(uri: SipUri): Target | undefined | Promise<Target | undefined>;
}

/** The location service for a callee of our domain (RFC 3261 §16.5, proxy/locator.ts). */
export interface Location {
  /** Routes an extension or E.164 number; `method`: ring groups and forwarding apply to INVITE only (proxy/planned-locator.ts). */
  locate(user: string, method?: string): RouteDecision | Promise<RouteDecision>;
}

/** The registrations (location view) the registrar reads and writes (RFC 3261 §10.3). */
export interface Registrations {
  readonly location: LocationView;
}

/** What names this appliance in a message (our-addresses.ts). */
export interface LocalAddresses {
  /** True when host:port is one of our Vias / Record-Routes. */
  isUs(host: string, port: number | undefined): boolean;
  /** Is the URI host one of ours (domain, our addresses)? */
  isLocalHost(host: string): boolean;
}

/** The extensions in the store. */
export interface Extensions {
  extension(number: string): ExtensionRecord | undefined;
}

/** Digest authentication (RFC 3261 §22, auth/authenticator.ts). */
export interface Authentication {
  readonly auth: Authenticator;
}

/** Where failed logins and forged requests are reported (security/source-guard.ts behind it). */
export interface AbuseReporting {
  readonly guard: AbuseReporter;
}

/** Authenticates the dialogs we record-routed (security/dialog-token.ts). */
export interface DialogAuthentication {
  readonly dialogTokens: DialogTokens;
}

/** The TCP/TLS connections we hold, as flow tokens name them for our peers (security/flow-token.ts, issue 19). */
export interface Flows {
  readonly flows: FlowServices;
}

/** Load shedding and draining: whether new dialogs and registrations are admitted (admission-control.ts). */
export interface Admission {
  readonly admission: AdmissionControl;
}

/** The outside line (trunks/trunk-directory.ts); undefined without `[[trunks]]`. */
export interface Trunks {
  readonly trunks?: TrunkRouting;
}

/** The voicemail servers (docs/PBX.md). */
export interface Voicemail {
  /**
   * The voicemail server of an extension's mailbox (its own `voicemailUri`, else `[voicemail]
   * uri`), to resolve now; undefined (or the function returning undefined) without one.
   */
  readonly voicemail?: (extension: string) => (() => Target | undefined | Promise<Target | undefined>) | undefined;
}

/** Feature codes (pbx/feature-code.ts); undefined: none (a bare SIP service in tests). */
export interface FeatureCodes {
  readonly featureCodes?: FeatureCodeControl;
}

/** Busy lamps, presence and pickup (sip/events/); undefined: SUBSCRIBEs reach the phones. */
export interface OfficeEvents {
  readonly events?: EventServices;
}

/** The event log (system/log). */
export interface EventLogging {
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}

/** Every part; `composeServices` builds it from its parts, the pipeline runs on it. */
export interface PipelineServices
  extends Configuration, Replies, Transactions, Relay, TargetResolution, Location, Registrations, LocalAddresses,
    Extensions, Authentication, AbuseReporting, DialogAuthentication, Flows, Admission, Trunks, Voicemail, FeatureCodes,
    OfficeEvents, EventLogging {}

/** Each part by name, as the unit that owns it builds it (docs/ARCHITECTURE.md "What a stage may use"). */
export interface ServiceParts {
  readonly configuration: Configuration;
  readonly replies: Replies;
  readonly transactions: Transactions;
  readonly relay: Relay;
  readonly targets: TargetResolution;
  readonly location: Location;
  readonly registrations: Registrations;
  readonly addresses: LocalAddresses;
  readonly extensions: Extensions;
  readonly authentication: Authentication;
  readonly abuse: AbuseReporting;
  readonly dialogs: DialogAuthentication;
  readonly flows: Flows;
  readonly admission: Admission;
  readonly eventLog: EventLogging;
}

/** The optional parts, set once the connection control section has built them (after the SIP service). */
export type LateParts = { -readonly [K in keyof (Trunks & Voicemail & FeatureCodes & OfficeEvents)]: (Trunks & Voicemail & FeatureCodes & OfficeEvents)[K] };

/**
 * The services the pipeline runs with, made of the parts: their members side by side (getters
 * stay getters, so `openTransactions` is read when a stage asks); the late parts start absent.
 * Two parts naming one member is a wiring error, refused at start.
 */
export function composeServices(parts: ServiceParts): Omit<PipelineServices, keyof LateParts> & LateParts {
  const services: Partial<LateParts> = { trunks: undefined, voicemail: undefined, featureCodes: undefined, events: undefined };
  for (const part of Object.values(parts)) {
    for (const [name, property] of Object.entries(Object.getOwnPropertyDescriptors(part))) {
      if (name in services) throw new Error(`two parts of the SIP service name ${name}`);
      Object.defineProperty(services, name, property);
    }
  }
  return services as Omit<PipelineServices, keyof LateParts> & LateParts;
}
