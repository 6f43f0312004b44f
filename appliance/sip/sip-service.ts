import type { ExtensionRecord } from '../../system/store/index.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import type { Logger } from '../../system/log/logger.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { SipRequest, Source } from './message/types.ts';
import type { SipUri } from './message/uri.ts';
import type { SipSettings } from './pipeline/context.ts';
import { composeServices } from './pipeline/services.ts';
import { AdmissionControl } from './pipeline/admission-control.ts';
import type { FlowSpreader } from './pipeline/flow-spreader.ts';
import { addressesPart } from './our-addresses.ts';
import { localReplies, statelessSend } from './local-replies.ts';
import { ReceivePath } from './receive-path.ts';
import type { RouteDecision, Target } from './proxy/targets.ts';
import { ProxyCore, relayPart } from './proxy/proxy-core.ts';
import { createTargetResolver } from './proxy/target-resolver.ts';
import type { LocationView } from './registrar/location-view.ts';
import type { ClientTransaction, ClientTransactionUser } from './transaction/client-transaction.ts';
import { TransactionLayer, transactionsPart } from './transaction/transaction-layer.ts';
import type { Destination, SipTransport } from './transport/transport.ts';
import { SipCounters } from './sip-counters.ts';
import { CallTrace } from './call-trace.ts';
import type { DialogEvent } from './dialog-events.ts';
import { DialogReporter } from './dialog-reporter.ts';
import type { DialogTokens } from './security/dialog-token.ts';
import { flowsPart, type FlowTokens } from './security/flow-token.ts';
import { abusePart, type SourceGuard } from './security/source-guard.ts';
import type { PickupRequest } from './events/event-services.ts';

/** Host services the SIP service needs, passed in at start-up (DESIGN.md layering). */
export interface SipServiceDeps {
  readonly settings: SipSettings;
  readonly location: LocationView;
  readonly auth: Authenticator;
  readonly extension: (number: string) => ExtensionRecord | undefined;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  /** Routing of a callee of our domain (the locator over the DNS function). */
  readonly locate: (user: string, method?: string) => RouteDecision | Promise<RouteDecision>;
  /** Authenticates the dialogs we record-route (secret shared by every worker). */
  readonly dialogTokens: DialogTokens;
  /** Names the TCP/TLS flows we hold in the bindings peers route through us (security/flow-token.ts). */
  readonly flowTokens: FlowTokens;
  /** Per-source rate limit and failed-login bans (pike + fail2ban). */
  readonly guard: SourceGuard;
  /** Log lines that are not events (debug: one per request received, with `[log.areas] sip = "debug"`). */
  readonly logger?: Pick<Logger, 'enabled' | 'log'>;
  /** Destinations of a URI of another domain, best first (RFC 3263 §4, proxy/uri-resolver.ts); default: A/AAAA only. */
  readonly resolveDomain?: (uri: SipUri) => Promise<readonly Destination[]>;
}

/**
 * The SIP side of a connection control section, wiring its parts (docs/ARCHITECTURE.md "The
 * SIP side's parts"): the receive path (receive-path.ts) takes what the transports deliver
 * into the pipeline, which runs on the parts each unit owns (pipeline/services.ts): the
 * transaction layer, the proxy core, our replies (local-replies.ts), the target resolver.
 */
export class SipService {
  readonly settings: SipSettings;
  readonly sourceGuard: SourceGuard;
  readonly counters = new SipCounters();
  readonly admission = new AdmissionControl();
  /** Per-call message trace for the ladder diagrams (bounded). */
  readonly trace = new CallTrace();
  /** The parts the stages use (pipeline/services.ts); the late ones (trunks, voicemail, feature codes, events) are set by the connection control section. */
  readonly parts: ReturnType<typeof composeServices>;
  private readonly transactions = new TransactionLayer();
  private readonly reports: DialogReporter;
  private readonly proxy: ProxyCore;
  private readonly path: ReceivePath;
  private transport!: SipTransport;

  constructor(deps: SipServiceDeps) {
    const settings = (this.settings = deps.settings);
    this.sourceGuard = deps.guard;
    const addresses = addressesPart(settings);
    const send = (dest: Destination, data: Buffer, fromShared?: boolean) => this.transport.send(dest, data, fromShared);
    const sendStateless = statelessSend(send);
    this.reports = new DialogReporter(() => this.parts.trunks, addresses.isUs);
    const replies = localReplies({ counters: this.counters, reports: this.reports, sendStateless });
    this.proxy = new ProxyCore({
      settings, transactions: this.transactions, location: deps.location, dialogTokens: deps.dialogTokens,
      counters: this.counters, reports: this.reports, trunks: () => this.parts.trunks, send,
      reply: replies.reply, toTag: replies.toTag, isLocalHost: addresses.isLocalHost, locate: deps.locate, log: deps.log,
    });
    this.transactions.onServerEnded = (st) => this.proxy.serverEnded(st);
    this.parts = composeServices({
      configuration: { settings }, replies, transactions: transactionsPart(this.transactions), relay: relayPart(this.proxy),
      targets: { resolveUri: createTargetResolver({ location: deps.location, resolveDomain: deps.resolveDomain }) },
      location: { locate: deps.locate }, registrations: { location: deps.location }, addresses, extensions: { extension: deps.extension },
      authentication: { auth: deps.auth }, abuse: abusePart(deps.guard, deps.log), dialogs: { dialogTokens: deps.dialogTokens },
      flows: flowsPart(deps.flowTokens, (connection) => this.transport.hasConnection(connection)), admission: { admission: this.admission },
      eventLog: { log: deps.log },
    });
    this.path = new ReceivePath({
      settings, guard: deps.guard, counters: this.counters, admission: this.admission, trace: this.trace, transactions: this.transactions,
      sendStateless, services: this.parts, send: (dest, data) => this.transport.send(dest, data), log: deps.log, logger: deps.logger,
    });
  }

  /** Connects the service to its transport (sockets are opened by the caller). */
  attach(transport: SipTransport): void {
    this.transport = this.trace.wrap(transport);
    this.transactions.attach(this.transport);
  }

  /** Entry point for every message the transports deliver (receive-path.ts). */
  receive(data: Buffer, source: Source): void {
    this.path.receive(data, source);
  }

  /** Open server and client transactions, for the operating state. */
  get openTransactions(): number {
    return this.transactions.open;
  }

  /** Transactions still waiting for a final response (what draining must let finish). */
  get pendingTransactions(): number {
    return this.transactions.pending;
  }

  /**
   * Sends a request of our own (an OPTIONS keep-alive, nat/nat-pinger.ts) in a client
   * transaction (RFC 3261 §17.1.2); its responses reach `user` like a relayed request's.
   */
  request(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction | undefined {
    return this.transactions.request(req, dest, user);
  }

  /** Call pickup (proxy/proxy-core.ts): false when no such call rings here any more. */
  pickup(p: PickupRequest): boolean {
    return this.proxy.pickup(p);
  }

  /** Where a URI that names no callee of ours goes (proxy/target-resolver.ts). */
  resolveUri(uri: SipUri): Target | undefined | Promise<Target | undefined> {
    return this.parts.resolveUri(uri);
  }

  /** Stops every transaction timer (shutdown). */
  close(): void {
    this.transactions.close();
  }

  // ---- set by the connection control section once it has built them ----
  /** Receives dialog starts and ends (forwarded 2xx to INVITE and BYE) for the calls view. */
  get onDialogEvent(): ((event: DialogEvent) => void) | undefined { return this.reports.sink; }
  set onDialogEvent(sink: ((event: DialogEvent) => void) | undefined) { this.reports.sink = sink; }
  /** Via ports of the sibling connection control sections (set by the control section). */
  get siblingViaPorts(): ReadonlySet<number> { return this.path.siblingViaPorts; }
  set siblingViaPorts(ports: ReadonlySet<number>) { this.path.siblingViaPorts = ports; }
  /** Spreads a hot flow over the sibling workers (pipeline/flow-spreader.ts); absent in one process. */
  get spreader(): FlowSpreader | undefined { return this.path.spreader; }
  set spreader(spreader: FlowSpreader | undefined) { this.path.spreader = spreader; }
}
