import type { ExtensionRecord } from '../../system/store/index.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { decodeMessage } from './message/decode.ts';
import { buildResponse, encodeMessage } from './message/encode.ts';
import type { SipRequest, SipResponse, Source } from './message/types.ts';
import { loggableUri, socketHost, type SipUri } from './message/uri.ts';
import { responseTarget } from './message/via.ts';
import type { FeatureCodeControl, FlowServices, RequestContext, RequestState, SipSettings, TrunkRouting } from './pipeline/context.ts';
import type { PipelineServices } from './pipeline/services.ts';
import { REQUEST_PIPELINE, runPipeline } from './pipeline/pipeline.ts';
import { stampReceived } from './proxy/forwarding.ts';
import { isLocalHost as isOurHost, isUs as isOurAddress, siblingOwner } from './our-addresses.ts';
import { localToTag } from './message/local-tag.ts';
import type { RouteDecision, SerialStep, Target } from './proxy/targets.ts';
import { ProxyCore } from './proxy/proxy-core.ts';
import { createTargetResolver } from './proxy/target-resolver.ts';
import type { LocationView } from './registrar/location-view.ts';
import type { ClientTransaction, ClientTransactionUser } from './transaction/client-transaction.ts';
import type { ServerTransaction } from './transaction/server-transaction.ts';
import { TransactionLayer } from './transaction/transaction-layer.ts';
import type { Destination, SipTransport } from './transport/transport.ts';
import { SipCounters } from './sip-counters.ts';
import { CallTrace } from './call-trace.ts';
import type { DialogEvent } from './dialog-events.ts';
import { DialogReporter } from './dialog-reporter.ts';
import { AdmissionControl } from './pipeline/admission-control.ts';
import { inCidrList } from '../../system/config/index.ts';
import type { DialogTokens } from './security/dialog-token.ts';
import type { FlowTokens } from './security/flow-token.ts';
import type { SourceGuard } from './security/source-guard.ts';
import type { FlowSpreader } from './pipeline/flow-spreader.ts';
import type { Logger } from '../../system/log/logger.ts';
import type { EventServices, PickupRequest } from './events/event-services.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import { asApplianceError, statusFor } from '../../system/errors/index.ts';

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
 * The SIP side of a connection control section, wiring its parts: decodes what the
 * transports deliver, runs requests through the pipeline, hands responses to the transaction
 * layer (transaction/transaction-layer.ts) or to the sibling worker whose they are, and
 * implements the services the stages use: replies (here), stateful and stateless relay and
 * pickup (the proxy core, proxy/proxy-core.ts), where a URI goes (proxy/target-resolver.ts).
 */
export class SipService implements PipelineServices {
  readonly settings: SipSettings;
  readonly location: LocationView;
  readonly auth: Authenticator;
  readonly dialogTokens: DialogTokens;
  readonly flows: FlowServices;
  readonly sourceGuard: SourceGuard;
  readonly counters = new SipCounters();
  readonly admission = new AdmissionControl();
  /** Per-call message trace for the ladder diagrams (bounded). */
  readonly trace = new CallTrace();
  /** Via ports of the sibling connection control sections (set by the control section). */
  siblingViaPorts: ReadonlySet<number> = new Set();
  /** Spreads a hot flow over the sibling workers (pipeline/flow-spreader.ts); absent in one process. */
  spreader: FlowSpreader | undefined;
  /** The outside line (trunks/trunk-directory.ts); absent without `[[trunks]]`. */
  trunks: TrunkRouting | undefined;
  /** Feature codes (pipeline/stages/feature-codes.ts); set by the connection control section. */
  featureCodes: FeatureCodeControl | undefined;
  /** An extension's voicemail server (its own, else `[voicemail] uri`), for MWI subscriptions (pipeline/stages/voicemail-mwi.ts). */
  voicemail: PipelineServices['voicemail'];
  /** Busy lamps, presence and pickup (sip/events/); set by the connection control section. */
  events: EventServices | undefined;
  private readonly transactions = new TransactionLayer();
  private readonly reports = new DialogReporter(() => this.trunks, (host, port) => this.isUs(host, port));
  private readonly proxy: ProxyCore;
  private readonly targets: (uri: SipUri) => Target | undefined | Promise<Target | undefined>;
  private transport!: SipTransport;

  constructor(private readonly deps: SipServiceDeps) {
    this.settings = deps.settings;
    this.location = deps.location;
    this.auth = deps.auth;
    this.dialogTokens = deps.dialogTokens;
    this.flows = {
      read: (token) => deps.flowTokens.read(token),
      // Held here or by a sibling worker (transport/tcp-transport.ts `siblingHolds`).
      alive: (connection) => this.transport.hasConnection(connection),
      issue: (flow) => deps.flowTokens.issue(flow),
    };
    this.sourceGuard = deps.guard;
    this.isUs = this.isUs.bind(this);
    this.proxy = new ProxyCore({
      settings: this.settings, transactions: this.transactions, location: this.location, dialogTokens: this.dialogTokens,
      counters: this.counters, reports: this.reports, trunks: () => this.trunks,
      send: (dest, data) => this.transport.send(dest, data),
      reply: (ctx, status, reason) => this.reply(ctx, status, reason),
      toTag: (req) => this.toTag(req), isLocalHost: (host) => this.isLocalHost(host),
      locate: (user, method) => this.locate(user, method), log: (kind, message, details) => this.log(kind, message, details),
    });
    this.transactions.onServerEnded = (st) => this.proxy.serverEnded(st);
    this.targets = createTargetResolver({ location: this.location, resolveDomain: deps.resolveDomain });
  }

  /** Receives dialog starts and ends (forwarded 2xx to INVITE and BYE) for the calls view. */
  get onDialogEvent(): ((event: DialogEvent) => void) | undefined {
    return this.reports.sink;
  }

  set onDialogEvent(sink: ((event: DialogEvent) => void) | undefined) {
    this.reports.sink = sink;
  }

  /** Connects the service to its transport (sockets are opened by the caller). */
  attach(transport: SipTransport): void {
    this.transport = this.trace.wrap(transport);
    this.transactions.attach(this.transport);
  }

  /** Open server and client transactions, for the operating state. */
  get openTransactions(): number {
    return this.transactions.open;
  }

  /** Transactions still waiting for a final response (what draining must let finish). */
  get pendingTransactions(): number {
    return this.transactions.pending;
  }

  /** Entry point for every message the transports deliver. */
  receive(data: Buffer, source: Source): void {
    // Bans come first: a banned flood costs one Map lookup per datagram.
    if (!this.sourceGuard.admit(source.address)) {
      this.counters.banned++;
      return;
    }
    // A saturated worker hands new work of a hot flow to a calm sibling before decoding it.
    if (this.spreader) {
      const placed = this.spreader.offer(data, source);
      if (placed === 'handed') return;
      this.admission.preAdmitted = placed === 'kept';
    }
    let decoded;
    try {
      decoded = decodeMessage(data, source.transport !== 'udp');
    } catch {
      this.counters.dropped++;
      return;
    }
    switch (decoded.kind) {
      case 'drop':
        this.counters.dropped++;
        return;
      case 'bad-request':
        this.counters.malformed++;
        if (decoded.msg.method === 'ACK' || !decoded.msg.headers.via?.[0]) return;
        this.sendStateless(decoded.msg, source, buildResponse(decoded.msg, decoded.status, decoded.reason, decoded.extraHeaders ?? {}, this.toTag(decoded.msg)));
        return;
      case 'response':
        this.trace.received(decoded.msg, source, data);
        this.onResponse(decoded.msg);
        return;
      case 'request':
        this.trace.received(decoded.msg, source, data);
        this.onRequest(decoded.msg, source);
    }
  }

  private onRequest(req: SipRequest, source: Source): void {
    if (!this.sourceGuard.admitRequest(source.address)) {
      this.counters.banned++;
      return;
    }
    this.counters.request(req.method);
    // Built only when asked for: the method, Request-URI, source and Call-ID; never a header's value.
    if (this.deps.logger?.enabled('debug', 'sip')) {
      this.deps.logger.log('debug', 'sip.request', `${req.method} ${loggableUri(req.uri)} from ${source.transport} ${source.address}:${source.port}`, { callId: req.headers['call-id'] });
    }
    stampReceived(req, source);
    const trusted = inCidrList(source.address, this.settings.trusted) || this.settings.peerHosts.has(source.address);
    const ctx: RequestContext<PipelineServices> = { req, source, services: this, trusted };
    try {
      const r = runPipeline(ctx, REQUEST_PIPELINE);
      if (r instanceof Promise) r.catch((err) => this.failed(ctx, err));
    } catch (err) {
      this.failed(ctx, err);
    }
  }

  private failed(ctx: RequestState, err: unknown): void {
    this.deps.log('sip.error', `request handling failed: ${(err as Error)?.message ?? err}`, { method: ctx.req.method });
    // The error's own status (system/errors: 500 for anything unexpected), with its standard reason phrase.
    if (ctx.req.method !== 'ACK') this.reply(ctx, statusFor(asApplianceError(err).code).sip);
  }

  private onResponse(res: SipResponse): void {
    if (this.transactions.matchResponse(res)) return;
    // A response for a sibling worker's transaction that reached us (over a TCP/TLS connection
    // we hold, or on the shared UDP port: a phone answers the address a request came from, and
    // requests to UDP phones leave from the shared port for their NAT pinholes): hand it to
    // that worker's own Via port, where its client transaction waits (our-addresses.ts).
    const via = res.headers.via[0];
    const owner = siblingOwner(this.settings, via, this.siblingViaPorts);
    if (owner !== undefined && res.wire) {
      this.transport.send({ transport: 'udp', address: socketHost(via.host), port: owner }, res.wire);
      return;
    }
    // A response that matches no transaction of ours is dropped (RFC 3261 §16.7 step 2 allows
    // stateless forwarding, but a forged "200 OK" must not be relayed; 2xx retransmissions
    // reach their client transaction, which stays Accepted for them, RFC 6026 §7.2).
    this.counters.dropped++;
  }

  // ---- PipelineServices (pipeline/services.ts: the parts the stages use) ----

  extension(number: string): ExtensionRecord | undefined {
    return this.deps.extension(number);
  }

  reply(ctx: RequestState, status: number, reason?: string, headers: Record<string, unknown> = {}): void {
    const res = buildResponse(ctx.req, status, reason, headers, this.toTag(ctx.req));
    this.counters.reply(status, ctx.req.method);
    // A call we refused ourselves is a call record too (404, 480, 403, ...), but only for a
    // caller we know: a stranger's INVITEs would fill the store. Our own 503s are load
    // shedding, counted in the reports rather than written row by row under overload.
    if (status >= 300 && status !== 503 && (ctx.authUser || ctx.trusted || ctx.trunkCall)) this.reports.response(ctx, res);
    const st = ctx.st;
    // A final error to an INVITE from an unauthenticated source goes statelessly: an INVITE
    // server transaction would retransmit it until an ACK (Timer G), 11 times over 32 s, for
    // one packet a stranger sent (amplification, issue 10). A retransmitted INVITE is answered anew.
    if (st && status >= 300 && st.isInvite && !ctx.authUser && !ctx.trusted) {
      st.terminate();
      ctx.st = undefined;
    }
    if (ctx.st) ctx.st.respond(res);
    else this.sendStateless(ctx.req, ctx.source, res);
  }

  /** Where the stages report failed logins and forged requests. */
  readonly guard = {
    failed: (source: Source, what: string, user?: string): void => {
      this.deps.log('sip.auth.failed', `${what} from ${source.address}${user ? ` (extension ${user})` : ''}`, { address: source.address, user });
      this.sourceGuard.failed(source.address);
    },
  };

  findServer(key: string): ServerTransaction | undefined {
    return this.transactions.findServer(key);
  }

  createServer(ctx: RequestState): ServerTransaction {
    return this.transactions.createServer(ctx.txKey!, ctx.req, ctx.source);
  }

  relay(ctx: RequestState, targets: readonly Target[], serial?: SerialStep): void {
    this.proxy.relay(ctx, targets, serial);
  }

  /** Call pickup (proxy/proxy-core.ts): false when no such call rings here any more. */
  pickup(p: PickupRequest): boolean {
    return this.proxy.pickup(p);
  }

  /**
   * Sends a request of our own (an OPTIONS keep-alive, nat/nat-pinger.ts) in a client
   * transaction (RFC 3261 §17.1.2); its responses reach `user` like a relayed request's.
   */
  request(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction | undefined {
    return this.transactions.request(req, dest, user);
  }

  relayStateless(ctx: RequestState, target: Target): void {
    this.proxy.relayStateless(ctx, target);
  }

  resolveUri(uri: SipUri): Target | undefined | Promise<Target | undefined> {
    return this.targets(uri);
  }

  locate(user: string, method?: string): RouteDecision | Promise<RouteDecision> {
    return this.deps.locate(user, method);
  }

  isUs(host: string, port: number | undefined): boolean {
    return isOurAddress(this.settings, host, port);
  }

  isLocalHost(host: string): boolean {
    return isOurHost(this.settings, host);
  }

  log(kind: EventKind, message: string, details?: Record<string, unknown>): void {
    this.deps.log(kind, message, details);
  }

  /** Deterministic To tag for responses we generate, the same on every worker (stateless replies). */
  toTag(req: SipRequest): string {
    return localToTag(req);
  }

  /** Stops every transaction timer (shutdown). */
  close(): void {
    this.transactions.close();
  }

  private sendStateless(req: SipRequest, source: Source, res: SipResponse): void {
    const via = req.headers.via?.[0];
    if (!via) return;
    // To the packet's source address, never to a host the client named (reflection, issue 10).
    const dest: Destination = source.transport !== 'udp'
      ? { transport: source.transport, address: source.address, port: source.port, connection: source.connection }
      : { transport: 'udp', address: source.address, port: 'rport' in via.params ? source.port : responseTarget(via).port };
    this.transport.send(dest, encodeMessage(res), true);
  }
}
