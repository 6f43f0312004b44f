import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ExtensionRecord } from '../../system/store/index.ts';
import type { Authenticator } from './auth/authenticator.ts';
import { decodeMessage } from './message/decode.ts';
import { buildResponse, encodeMessage } from './message/encode.ts';
import type { SipRequest, SipResponse, Source } from './message/types.ts';
import { defaultPort, loggableUri, socketHost, uriTransport, type SipUri } from './message/uri.ts';
import { responseTarget } from './message/via.ts';
import type { FeatureCodeControl, PipelineServices, RequestContext, SipSettings, TrunkRouting } from './pipeline/context.ts';
import { runPipeline } from './pipeline/pipeline.ts';
import { outgoingBranch } from './proxy/branch.ts';
import { Fork } from './proxy/fork.ts';
import { Failover, failoverBranch } from './proxy/failover.ts';
import { SerialFork } from './proxy/serial-fork.ts';
import { RedirectRecursion } from './proxy/redirect-recursion.ts';
import { appendHistoryInfo } from './proxy/history-info.ts';
import { UpstreamAuth } from './proxy/upstream-auth.ts';
import { buildCancel, forwardRequest, stampReceived, WORKER_PORT_PARAM } from './proxy/forwarding.ts';
import { forwardedResponse } from './message/response-wire.ts';
import { localToTag } from './message/local-tag.ts';
import type { RouteDecision, SerialStep, Target } from './proxy/targets.ts';
import { sipsTargets } from './proxy/sips-policy.ts';
import type { LocationView } from './registrar/location-view.ts';
import { bindingDestination } from './registrar/binding-destination.ts';
import { ClientTransaction, type ClientTransactionUser } from './transaction/client-transaction.ts';
import { ServerTransaction } from './transaction/server-transaction.ts';
import { clientKey, clientKeyOfRequest, clientKeyOfResponse } from './transaction/transaction-keys.ts';
import type { Destination, SipTransport } from './transport/transport.ts';
import { advertiseFor } from './transport/advertise-for.ts';
import { SipCounters } from './sip-counters.ts';
import { CallTrace } from './call-trace.ts';
import { cseqEventOf, dialogEventOf, type DialogEvent } from './dialog-events.ts';
import { dialogLegs } from './hangup/dialog-legs.ts';
import { AdmissionControl } from './pipeline/admission-control.ts';
import { inCidrList } from '../../system/config/index.ts';
import type { DialogTokens } from './security/dialog-token.ts';
import type { SourceGuard } from './security/source-guard.ts';
import type { FlowSpreader } from './pipeline/flow-spreader.ts';
import type { Logger } from '../../system/log/logger.ts';
import type { EventServices, PickupRequest } from './events/event-services.ts';
import { destinationOf } from './events/source-destination.ts';
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
  /** Per-source rate limit and failed-login bans (pike + fail2ban). */
  readonly guard: SourceGuard;
  /** Log lines that are not events (debug: one per request received, with `[log.areas] sip = "debug"`). */
  readonly logger?: Pick<Logger, 'enabled' | 'log'>;
  /** Destinations of a URI of another domain, best first (RFC 3263 §4, proxy/uri-resolver.ts); default: A/AAAA only. */
  readonly resolveDomain?: (uri: SipUri) => Promise<readonly Destination[]>;
}

const ignoreUser: ClientTransactionUser = { onResponse() {}, onTimeout() {} };

/**
 * The SIP side of a connection control section: decodes what the transports deliver, runs
 * requests through the pipeline, matches responses to client transactions, and implements
 * the services the stages use (replies, stateful relay with forking, stateless relay).
 */
export class SipService implements PipelineServices {
  readonly settings: SipSettings;
  readonly location: LocationView;
  readonly auth: Authenticator;
  readonly dialogTokens: DialogTokens;
  readonly sourceGuard: SourceGuard;
  readonly counters = new SipCounters();
  readonly admission = new AdmissionControl();
  /** Per-call message trace for the ladder diagrams (bounded). */
  readonly trace = new CallTrace();
  /** Receives dialog starts and ends (forwarded 2xx to INVITE and BYE) for the calls view. */
  onDialogEvent?: (event: DialogEvent) => void;
  /** Via ports of the sibling connection control sections (set by the control section). */
  siblingViaPorts: ReadonlySet<number> = new Set();
  /** Spreads a hot flow over the sibling workers (pipeline/flow-spreader.ts); absent in one process. */
  spreader: FlowSpreader | undefined;
  /** The outside line (trunks/trunk-directory.ts); absent without `[[trunks]]`. */
  trunks: TrunkRouting | undefined;
  /** Feature codes (pipeline/stages/feature-codes.ts); set by the connection control section. */
  featureCodes: FeatureCodeControl | undefined;
  /** The voicemail server (`[voicemail] uri`), for MWI subscriptions (pipeline/stages/voicemail-mwi.ts). */
  voicemail: (() => Target | undefined | Promise<Target | undefined>) | undefined;
  /** Busy lamps, presence and pickup (sip/events/); set by the connection control section. */
  events: EventServices | undefined;
  /** Forks of initial INVITEs by Call-ID and caller's tag, with their launcher (call pickup). */
  private readonly calls = new Map<string, { readonly fork: Fork; readonly launch: (targets: readonly Target[]) => void }>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private transport!: SipTransport;

  constructor(private readonly deps: SipServiceDeps) {
    this.settings = deps.settings;
    this.location = deps.location;
    this.auth = deps.auth;
    this.dialogTokens = deps.dialogTokens;
    this.sourceGuard = deps.guard;
    this.isUs = this.isUs.bind(this);
  }

  /** Connects the service to its transport (sockets are opened by the caller). */
  attach(transport: SipTransport): void {
    this.transport = this.trace.wrap(transport);
  }

  /** Open server and client transactions, for the operating state. */
  get openTransactions(): number {
    return this.servers.size + this.clients.size;
  }

  /** Transactions still waiting for a final response (what draining must let finish). */
  get pendingTransactions(): number {
    let n = 0;
    for (const t of this.servers.values()) if (!t.isFinal) n++;
    for (const t of this.clients.values()) if (t.state !== 'completed' && t.state !== 'accepted' && t.state !== 'terminated') n++;
    return n;
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
    const ctx: RequestContext = { req, source, services: this, trusted };
    try {
      const r = runPipeline(ctx);
      if (r instanceof Promise) r.catch((err) => this.failed(ctx, err));
    } catch (err) {
      this.failed(ctx, err);
    }
  }

  private failed(ctx: RequestContext, err: unknown): void {
    this.deps.log('sip.error', `request handling failed: ${(err as Error)?.message ?? err}`, { method: ctx.req.method });
    // The error's own status (system/errors: 500 for anything unexpected), with its standard reason phrase.
    if (ctx.req.method !== 'ACK') this.reply(ctx, statusFor(asApplianceError(err).code).sip);
  }

  private onResponse(res: SipResponse): void {
    const via = res.headers.via[0];
    const ct = this.clients.get(clientKeyOfResponse(res));
    if (ct) {
      ct.receive(res);
      return;
    }
    // A response for a sibling worker's transaction that reached us (over a TCP/TLS connection
    // we hold, or on the shared UDP port: a phone answers the address a request came from, and
    // requests to UDP phones leave from the shared port for their NAT pinholes): hand it to
    // that worker's own Via port, where its client transaction waits. On a stream our Via's
    // sent-by is the shared listener and the worker's port is in `wport` (proxy/forwarding.ts).
    const owner = Number(via.params[WORKER_PORT_PARAM]) || via.port;
    const viaIsOurs = owner === via.port ? this.isUs(via.host, via.port) : owner === this.settings.viaPort;
    if (!viaIsOurs && owner !== undefined && this.isSiblingViaPort(owner) && this.isLocalHost(via.host) && res.wire) {
      this.transport.send({ transport: 'udp', address: socketHost(via.host), port: owner }, res.wire);
      return;
    }
    // A response that matches no transaction of ours is dropped (RFC 3261 §16.7 step 2 allows
    // stateless forwarding, but a forged "200 OK" must not be relayed; 2xx retransmissions
    // reach their client transaction, which stays Accepted for them, RFC 6026 §7.2).
    this.counters.dropped++;
  }

  /**
   * The dialog event a final response makes (calls view, call records), with its trunk leg;
   * tells the trunks a call of theirs is recorded.
   */
  private emitDialogEvent(ctx: RequestContext, res: SipResponse, extension?: string, branch?: ClientTransaction): void {
    if (!this.onDialogEvent) return;
    let event = dialogEventOf(ctx.req, res, Date.now(), ctx.st?.createdAt);
    if (!event) return;
    // Whose phone answered or rings (busy lamps, sip/events/lamp-board.ts).
    if (extension && event.kind === 'early') event = { ...event, callee: extension };
    else if (extension && event.kind === 'start') event = { ...event, answeredBy: extension };
    // What a hang-up from the UI needs, seen only here (sip/hangup/dialog-legs.ts).
    const legs = event.kind === 'start' && branch ? dialogLegs(ctx.req, branch.request, res, ctx.source, branch.dest, this.isUs) : undefined;
    if (legs && event.kind === 'start') event = { ...event, legs, cseq: ctx.req.headers.cseq.seq };
    const leg = ctx.trunkCall;
    if (!leg || (event.kind !== 'start' && event.kind !== 'failed')) return this.onDialogEvent(event);
    this.trunks?.recorded(event.callId);
    this.onDialogEvent({ ...event, trunk: leg.trunk, direction: leg.direction, routedTo: leg.routedTo, ...(leg.forwardedBy ? { forwardedBy: leg.forwardedBy } : {}) });
  }

  /** A forwarded call's trunk leg starts (the first in a call names its record; each counts while ringing). */
  private outsideLegLeaves(ctx: RequestContext, leg: NonNullable<Target['outsideLeg']>): void {
    this.trunks?.placed(String(ctx.req.headers['call-id']), leg.forwardedBy);
    if (!ctx.trunkCall?.forwardedBy) ctx.trunkCall = { trunk: leg.trunk, direction: 'outbound', routedTo: leg.routedTo, forwardedBy: leg.forwardedBy };
  }

  /** RFC 4235 `trying` for the extensions an INVITE now rings (the lamps light before any 1xx). */
  private emitTrying(ctx: RequestContext, targets: readonly Target[]): void {
    if (!this.onDialogEvent) return;
    const { req } = ctx;
    const callees = [...new Set(targets.flatMap((t) => (t.extension ? [t.extension] : [])))];
    this.onDialogEvent({ kind: 'trying', callId: req.headers['call-id'], tags: [String(req.headers.from.params.tag ?? ''), ''], from: req.headers.from.uri, to: req.headers.to.uri, ts: Date.now(), callees });
  }

  /** A sibling worker's Via port: a slot's port from the config, or one announced (a fallback port). */
  private isSiblingViaPort(port: number): boolean {
    const { base, count } = this.settings.workerViaPorts;
    return port !== this.settings.viaPort && ((port >= base && port < base + count) || this.siblingViaPorts.has(port));
  }

  // ---- PipelineServices ----

  extension(number: string): ExtensionRecord | undefined {
    return this.deps.extension(number);
  }

  reply(ctx: RequestContext, status: number, reason?: string, headers: Record<string, unknown> = {}): void {
    const res = buildResponse(ctx.req, status, reason, headers, this.toTag(ctx.req));
    this.counters.reply(status, ctx.req.method);
    // A call we refused ourselves is a call record too (404, 480, 403, ...), but only for a
    // caller we know: a stranger's INVITEs would fill the store. Our own 503s are load
    // shedding, counted in the reports rather than written row by row under overload.
    if (status >= 300 && status !== 503 && (ctx.authUser || ctx.trusted || ctx.trunkCall)) this.emitDialogEvent(ctx, res);
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
    return this.servers.get(key);
  }

  createServer(ctx: RequestContext): ServerTransaction {
    const call = callKeyOf(ctx.req);
    const st = new ServerTransaction(ctx.txKey!, ctx.req, ctx.source, this.transport, (t) => {
      if (this.servers.get(t.key) === t) this.servers.delete(t.key);
      if (this.calls.get(call)?.fork.st === t) this.calls.delete(call);
    });
    this.servers.set(st.key, st);
    return st;
  }

  relay(ctx: RequestContext, candidates: readonly Target[], serial?: SerialStep): void {
    // RFC 5630: a sips: request leaves over TLS only (proxy/sips-policy.ts).
    const sips = sipsTargets(ctx.req.uri, candidates, this.settings.tlsPort !== undefined);
    if (sips.kind === 'reply') {
      this.reply(ctx, sips.status, sips.reason);
      return;
    }
    const targets = sips.targets;
    const st = ctx.st!;
    // An in-dialog request moves its sender's CSeq: a hang-up's BYE must go above it (sip/hangup/).
    const moved = this.onDialogEvent && cseqEventOf(ctx.req);
    if (moved) this.onDialogEvent!(moved);
    if (st.isInvite) this.reply(ctx, 100, 'Trying'); // §16.2: before forking
    let setupTimed = false;
    /** Branch → the extension whose phone it rings (busy lamps). */
    const extensionOf = new Map<ClientTransaction, string>();
    const fork = new Fork(st, {
      cancelBranch: (ct) => this.cancelBranch(ct),
      // Our Via comes off (§16.7 step 9); should the UAS have mangled the Vias, the ones the
      // request came with (our transaction keeps them, §8.2.6.2) are used instead.
      upstream: (res, ct) => {
        this.counters.reply(res.status, ctx.req.method);
        // Call setup time: INVITE received → the first 2xx going upstream (later ones are other branches' or retransmissions).
        if (!setupTimed && st.isInvite && res.status >= 200 && res.status < 300) {
          setupTimed = true;
          this.counters.callSetup.observe((Date.now() - st.createdAt) / 1000);
        }
        this.emitDialogEvent(ctx, res, ct && extensionOf.get(ct), ct);
        return forwardedResponse(res, st.vias);
      },
      localFinal: (res) => this.emitDialogEvent(ctx, res),
      toTag: (req) => this.toTag(req),
    });
    const loop = undefined;
    /** The target each branch was started for, by branch index (3xx recursion reads its History-Info). */
    const launched: Target[] = [];
    const initialInvite = st.isInvite && !ctx.req.headers.to.params.tag;
    // Forwards `list` in the fork; again for each step of serial forking (branch numbers go on).
    const launch = (list: readonly Target[]) => {
      const starts: (() => void)[] = [];
      if (initialInvite) this.emitTrying(ctx, list);
      // A forward to an outside number leaves now: the forwarding extension's outside call (limits, call record).
      for (const t of list) if (t.outsideLeg && initialInvite) this.outsideLegLeaves(ctx, t.outsideLeg);
      const base = fork.branches.length;
      list.forEach((t, j) => {
        const i = base + j;
        launched[i] = t;
        const open = (target: Target, attempt: number, user: ClientTransactionUser, extra?: Record<string, string>): ClientTransaction => {
          // A next hop that challenges us (a trunk) is answered on this branch (upstream-auth.ts).
          if (target.authorize && !extra) {
            const authorize = target.authorize;
            user = new UpstreamAuth(user, fork, authorize, (headers, again) => open(target, attempt, again, headers));
          }
          const branch = `${failoverBranch(outgoingBranch(ctx.req, i, loop), attempt)}${extra ? '.a' : ''}`;
          const fwd = forwardRequest(ctx.req, target.uri, branch, target.dest.transport, this.identity(target.dest.address, ctx.source.address), ctx.source.transport);
          if (extra) Object.assign(fwd.headers, extra);
          const h = fwd.headers as Record<string, unknown>;
          for (const [k, v] of Object.entries(target.headers ?? {})) {
            // A caller's own History-Info is kept and ours continues it (RFC 7044 §9.1, proxy/history-info.ts).
            if (k === 'history-info' && typeof h[k] === 'string' && h[k]) h[k] = appendHistoryInfo(h[k] as string, v);
            else if (!(k in h)) h[k] = v;
          }
          const ct = new ClientTransaction(clientKey(branch, ctx.req.method), fwd, target.dest, this.transport, user, (c) => {
            if (this.clients.get(c.key) === c) this.clients.delete(c.key);
          });
          this.clients.set(ct.key, ct);
          return ct;
        };
        // RFC 3263 §4.3: a target with fallbacks fails over along them (proxy/failover.ts).
        const failover = t.fallbacks?.length || t.onUnanswered ? new Failover(fork, t, t.fallbacks ?? [], open) : undefined;
        const ct = open(t, 0, failover ?? fork);
        if (t.extension) extensionOf.set(ct, t.extension);
        fork.add(ct);
        starts.push(failover ? () => failover.start(ct) : () => ct.start());
      });
      for (const start of starts) start();
    };
    // Serial forking (proxy/serial-fork.ts): ring groups' hunt and fallback, forwarding on busy / no answer.
    const serialFork = serial && st.isInvite ? new SerialFork(fork, serial, (next) => {
      const allowed = sipsTargets(ctx.req.uri, next, this.settings.tlsPort !== undefined);
      if (allowed.kind === 'send') launch(allowed.targets);
    }) : undefined;
    fork.continuation = serialFork;
    // A phone's own 3xx naming our users is followed in this response context (proxy/redirect-recursion.ts).
    if (st.isInvite && !ctx.req.headers.to.params.tag && this.settings.mode === 'proxy' && ctx.ruri && this.isLocalHost(ctx.ruri.host)) {
      fork.redirects = new RedirectRecursion({
        domain: this.settings.domain, isLocalHost: (h) => this.isLocalHost(h), locate: (n) => this.locate(n, 'INVITE'),
        launch: (list) => {
          if (fork.over) return false;
          launch(list);
          return true;
        },
        targetOf: (ct) => launched[ct.index],
      }, ctx.ruri.user);
    }
    if (initialInvite) this.calls.set(callKeyOf(ctx.req), { fork, launch });
    launch(targets);
    serialFork?.begin();
  }

  /**
   * Call pickup (docs/PBX.md "Call pickup"): the call's ringing branches are cancelled and the
   * picker's phone rings instead, in the same response context (the proxy way: no Replaces
   * needed from any phone), with `Call-Info: answer-after=0` for phones that answer by
   * themselves when asked. False when no such call rings here any more.
   */
  pickup(p: PickupRequest): boolean {
    const call = this.calls.get(`${p.callId}|${p.callerTag}`);
    if (!call || call.fork.over) return false;
    // The phone that dialled (its registration), else every phone of the picker, else where the request came from.
    const own = this.location.bindingForContact(p.contact);
    const bindings = own ? [own] : this.location.bindings(`sip:${p.picker}@${this.settings.domain}`);
    const headers = { 'call-info': `<sip:${this.settings.domain}>;answer-after=0` };
    const targets: Target[] = bindings.flatMap((b) => {
      const dest = bindingDestination(b);
      return dest ? [{ uri: b.contact, dest, extension: p.picker, headers }] : [];
    });
    const fromSource = destinationOf({ source: p.source, contact: p.contact });
    if (targets.length === 0 && fromSource) targets.push({ uri: p.contact, dest: fromSource, extension: p.picker, headers });
    if (targets.length === 0) return false;
    const ok = call.fork.pickUp(() => call.launch(targets));
    if (ok) this.deps.log('sip.pickup', `extension ${p.picker} picks up call ${p.callId}`, { callId: p.callId, picker: p.picker });
    return ok;
  }

  /**
   * Sends a request of our own (an OPTIONS keep-alive, nat/nat-pinger.ts) in a client
   * transaction (RFC 3261 §17.1.2); its responses reach `user` like a relayed request's.
   */
  request(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction | undefined {
    const key = clientKeyOfRequest(req);
    if (this.clients.has(key) || !this.transport) return undefined;
    const ct = new ClientTransaction(key, req, dest, this.transport, user, (c) => {
      if (this.clients.get(c.key) === c) this.clients.delete(c.key);
    });
    this.clients.set(key, ct);
    ct.start();
    return ct;
  }

  relayStateless(ctx: RequestContext, target: Target): void {
    if (sipsTargets(ctx.req.uri, [target], this.settings.tlsPort !== undefined).kind === 'reply') return; // an ACK: nothing to answer
    const branch = outgoingBranch(ctx.req, 0);
    const fwd = forwardRequest(ctx.req, target.uri, branch, target.dest.transport, this.identity(target.dest.address, ctx.source.address), ctx.source.transport);
    this.transport.send(target.dest, encodeMessage(fwd));
  }

  resolveUri(uri: SipUri): Target | undefined | Promise<Target | undefined> {
    const text = `${uri.schema}:${uri.user ? `${uri.user}@` : ''}${uri.host}${uri.port ? `:${uri.port}` : ''}`;
    const binding = this.location.bindingForContact(text) ?? this.location.bindingForContact(stringUri(uri));
    if (binding) {
      const dest = bindingDestination(binding);
      if (dest) return { uri: binding.contact, dest };
    }
    const host = socketHost(uri.host);
    const transport = uriTransport(uri);
    const port = defaultPort(uri);
    if (isIP(host)) return { uri: stringUri(uri), dest: { transport, address: host, port } };
    if (this.deps.resolveDomain) {
      // RFC 3263 §4: NAPTR → SRV → A/AAAA; the rest of the list is the fail-over order (§4.3).
      const text = stringUri(uri);
      return this.deps.resolveDomain(uri).then(([first, ...rest]) => first && { uri: text, dest: first, fallbacks: rest.map((dest) => ({ uri: text, dest })) });
    }
    return lookup(host).then(
      (r) => ({ uri: stringUri(uri), dest: { transport, address: r.address, port } }),
      () => undefined,
    );
  }

  locate(user: string, method?: string): RouteDecision | Promise<RouteDecision> {
    return this.deps.locate(user, method);
  }

  isUs(host: string, port: number | undefined): boolean {
    const p = port ?? 5060;
    const s = this.settings;
    return (p === s.port || p === s.viaPort || p === s.tlsPort) && (s.localHosts.has(host.toLowerCase()) || socketHost(host) === s.advertise);
  }

  isLocalHost(host: string): boolean {
    return this.settings.localHosts.has(host.toLowerCase()) || this.settings.localHosts.has(socketHost(host));
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
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
  }

  private cancelBranch(ct: ClientTransaction): void {
    const cancel = buildCancel(ct.request);
    const key = clientKeyOfRequest(cancel);
    if (this.clients.has(key)) return;
    const cct = new ClientTransaction(key, cancel, ct.dest, this.transport, ignoreUser, (c) => {
      if (this.clients.get(c.key) === c) this.clients.delete(c.key);
    });
    this.clients.set(key, cct);
    cct.start();
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

  /** Our identity on a request from `from` to `to`: each leg names our address of its family (dual stack). */
  private identity(to: string, from: string) {
    const sides = this.settings.advertiseByFamily;
    return {
      advertise: advertiseFor(sides, to), inboundAdvertise: advertiseFor(sides, from), port: this.settings.port, viaPort: this.settings.viaPort, tlsPort: this.settings.tlsPort,
      dialogToken: (callId: string, fromTag: string) => this.dialogTokens.issue(callId, fromTag),
    };
  }
}

/** A call's key among the forks: Call-ID and the caller's tag. */
function callKeyOf(req: SipRequest): string {
  return `${req.headers['call-id']}|${req.headers.from?.params?.tag ?? ''}`;
}

function stringUri(uri: SipUri): string {
  const params = Object.entries(uri.params).map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('');
  return `${uri.schema}:${uri.user ? `${uri.user}${uri.password ? `:${uri.password}` : ''}@` : ''}${uri.host}${uri.port ? `:${uri.port}` : ''}${params}`;
}
