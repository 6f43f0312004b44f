import { encodeMessage } from '../message/encode.ts';
import { forwardedResponse } from '../message/response-wire.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { DialogReporter } from '../dialog-reporter.ts';
import type { PickupRequest } from '../events/event-services.ts';
import type { RequestState, SipSettings, TrunkRouting } from '../pipeline/context.ts';
import type { Relay } from '../pipeline/services.ts';
import { bindingDestination } from '../registrar/binding-destination.ts';
import type { LocationView } from '../registrar/location-view.ts';
import type { DialogTokens } from '../security/dialog-token.ts';
import type { SipCounters } from '../sip-counters.ts';
import type { AcceptedSink, ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { ServerTransaction } from '../transaction/server-transaction.ts';
import type { TransactionLayer } from '../transaction/transaction-layer.ts';
import { advertiseFor } from '../transport/advertise-for.ts';
import type { Destination } from '../transport/transport.ts';
import { destinationOf } from '../events/source-destination.ts';
import { outgoingBranch } from './branch.ts';
import { Failover, failoverBranch } from './failover.ts';
import { Fork } from './fork.ts';
import { buildCancel, forwardRequest, type ForwardIdentity } from './forwarding.ts';
import { appendHistoryInfo } from './history-info.ts';
import { RedirectRecursion } from './redirect-recursion.ts';
import { SerialFork } from './serial-fork.ts';
import { sipsTargets } from './sips-policy.ts';
import type { RouteDecision, SerialStep, Target } from './targets.ts';
import { UpstreamAuth } from './upstream-auth.ts';
import type { EventKind } from '../../../system/log/event-kinds.ts';

const ignoreUser: ClientTransactionUser = { onResponse() {}, onTimeout() {} };

/** What the proxy core uses of the SIP service around it. */
export interface ProxyCoreDeps {
  readonly settings: SipSettings;
  readonly transactions: TransactionLayer;
  readonly location: LocationView;
  readonly dialogTokens: DialogTokens;
  readonly counters: SipCounters;
  readonly reports: DialogReporter;
  /** The outside line, when there is one (a forward to an outside number counts as its call). */
  trunks(): TrunkRouting | undefined;
  /** Sends bytes without a transaction (a stateless relay). */
  send(dest: Destination, data: Buffer): void;
  /** Answers the request (100 Trying, a sips: refusal), as the stages do. */
  reply(ctx: RequestState, status: number, reason?: string): void;
  toTag(req: SipRequest): string;
  isLocalHost(host: string): boolean;
  locate(user: string, method?: string): RouteDecision | Promise<RouteDecision>;
  log(kind: EventKind, message: string, details?: Record<string, unknown>): void;
}

/**
 * The stateful proxy function (RFC 3261 §16): stateful relay with parallel forking (§16.7,
 * fork.ts), fail-over along RFC 3263 fallbacks (failover.ts), serial forking (serial-fork.ts),
 * recursion on a phone's 3xx (redirect-recursion.ts), a challenge from the next hop answered
 * (upstream-auth.ts), CANCEL of branches (§9.1, §16.10), stateless relay (§16.11), and call
 * pickup within a call's response context.
 */
export class ProxyCore {
  /** Forks of initial INVITEs by Call-ID and caller's tag, with their launcher (call pickup). */
  private readonly calls = new Map<string, { readonly fork: Fork; readonly launch: (targets: readonly Target[]) => void }>();
  /** The server transaction of each fork in `calls`, with its key there: it leaves with its transaction at the latest. */
  private readonly callOf = new Map<ServerTransaction, string>();

  constructor(private readonly deps: ProxyCoreDeps) {}

  /** A server transaction ended: its call's fork, should it still be there, leaves the pickup table. */
  serverEnded(st: ServerTransaction): void {
    this.forget(st);
  }

  /** Forwards statefully to the targets (parallel forking); `serial`: what follows them (serial forking). */
  relay(ctx: RequestState, candidates: readonly Target[], serial?: SerialStep): void {
    const { settings, counters, reports, transactions } = this.deps;
    // RFC 5630: a sips: request leaves over TLS only (proxy/sips-policy.ts).
    const sips = sipsTargets(ctx.req.uri, candidates, settings.tlsPort !== undefined);
    if (sips.kind === 'reply') {
      this.deps.reply(ctx, sips.status, sips.reason);
      return;
    }
    const targets = sips.targets;
    const st = ctx.st!;
    // The call's trunk leg before any outside forward or group member left (the record of a call an extension answers).
    const before = ctx.trunkCall;
    reports.inDialog(ctx.req);
    if (st.isInvite) this.deps.reply(ctx, 100, 'Trying'); // §16.2: before forking
    let setupTimed = false;
    /** Branch → the extension whose phone it rings (busy lamps). */
    const extensionOf = new Map<ClientTransaction, string>();
    const fork = new Fork(st, {
      cancelBranch: (ct) => transactions.request(buildCancel(ct.request), ct.dest, ignoreUser),
      // Our Via comes off (§16.7 step 9); should the UAS have mangled the Vias, the ones the
      // request came with (our transaction keeps them, §8.2.6.2) are used instead.
      upstream: (res, ct) => {
        counters.reply(res.status, ctx.req.method);
        // Call setup time: INVITE received → the first 2xx going upstream (later ones are other branches' or retransmissions).
        if (!setupTimed && st.isInvite && res.status >= 200 && res.status < 300) {
          setupTimed = true;
          counters.callSetup.observe((Date.now() - st.createdAt) / 1000);
        }
        const answering = ct && res.status < 300 ? { before, outsideLeg: launched[ct.index]?.outsideLeg } : undefined;
        reports.response(ctx, res, ct && extensionOf.get(ct), ct, answering);
        return forwardedResponse(res, st.vias);
      },
      localFinal: (res, heard) => reports.response(ctx, res, undefined, undefined, undefined, heard),
      toTag: (req) => this.deps.toTag(req),
      acceptedRelay: () => new AcceptedRelay(st, counters),
      // Over: no pickup any more, and the pickup table lets go of the context at once, not when the transaction ends 32 s later.
      over: () => this.forget(st),
      edgeOfFlow: ctx.flowToken !== undefined,
    });
    /** The target each branch was started for, by branch index (3xx recursion reads its History-Info). */
    const launched: Target[] = [];
    const initialInvite = st.isInvite && !ctx.req.headers.to.params.tag;
    // Forwards `list` in the fork; again for each step of serial forking (branch numbers go on).
    const launch = (list: readonly Target[]) => {
      const starts: (() => void)[] = [];
      if (initialInvite) reports.trying(ctx, list);
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
          const branch = `${failoverBranch(outgoingBranch(ctx.req, i), attempt)}${extra ? '.a' : ''}`;
          const fwd = forwardRequest(ctx.req, target.uri, branch, target.dest.transport, this.identity(target.dest.address, ctx.source.address), ctx.source.transport, target.route);
          if (extra) Object.assign(fwd.headers, extra);
          const h = fwd.headers as Record<string, unknown>;
          for (const [k, v] of Object.entries(target.headers ?? {})) {
            // A caller's own History-Info is kept and ours continues it (RFC 7044 §9.1, proxy/history-info.ts).
            if (k === 'history-info' && typeof h[k] === 'string' && h[k]) h[k] = appendHistoryInfo(h[k] as string, v);
            // An outside forward or group member leaves with the trunk's identity for it, never the inside caller's (RFC 3325, trunk-outbound.ts).
            else if (k === 'p-asserted-identity' && target.outsideLeg) h[k] = v;
            else if (!(k in h)) h[k] = v;
          }
          return transactions.createClient(fwd, target.dest, user);
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
      const allowed = sipsTargets(ctx.req.uri, next, settings.tlsPort !== undefined);
      if (allowed.kind === 'send') launch(allowed.targets);
    }) : undefined;
    fork.continuation = serialFork;
    // A phone's own 3xx naming our users is followed in this response context (proxy/redirect-recursion.ts).
    if (st.isInvite && !ctx.req.headers.to.params.tag && settings.mode === 'proxy' && ctx.ruri && this.deps.isLocalHost(ctx.ruri.host)) {
      fork.redirects = new RedirectRecursion({
        domain: settings.domain, isLocalHost: (h) => this.deps.isLocalHost(h), locate: (n) => this.deps.locate(n, 'INVITE'),
        launch: (list) => {
          if (fork.over) return false;
          launch(list);
          return true;
        },
        targetOf: (ct) => launched[ct.index],
      }, ctx.ruri.user);
    }
    if (initialInvite) {
      const call = callKeyOf(ctx.req);
      this.forget(this.calls.get(call)?.fork.st);
      this.calls.set(call, { fork, launch });
      this.callOf.set(st, call);
    }
    launch(targets);
    serialFork?.begin();
  }

  /** Forwards without state (ACK for 2xx, RFC 3261 §16.11). */
  relayStateless(ctx: RequestState, target: Target): void {
    if (sipsTargets(ctx.req.uri, [target], this.deps.settings.tlsPort !== undefined).kind === 'reply') return; // an ACK: nothing to answer
    const branch = outgoingBranch(ctx.req, 0);
    const fwd = forwardRequest(ctx.req, target.uri, branch, target.dest.transport, this.identity(target.dest.address, ctx.source.address), ctx.source.transport, target.route);
    this.deps.send(target.dest, encodeMessage(fwd));
  }

  /**
   * Call pickup (docs/PBX.md "Call pickup"): the call's ringing branches are cancelled and the
   * picker's phone rings instead, in the same response context (the proxy way: no Replaces
   * needed from any phone), with `Call-Info: answer-after=0` for phones that answer by
   * themselves when asked. False when no such call rings here any more.
   */
  pickup(p: PickupRequest): boolean {
    const call = this.calls.get(callKey(p.callId, p.callerTag));
    if (!call || call.fork.over) return false;
    const { location, settings } = this.deps;
    // The phone that dialled (its registration), else every phone of the picker, else where the request came from.
    const own = location.bindingForContact(p.contact);
    const bindings = own ? [own] : location.bindings(`sip:${p.picker}@${settings.domain}`);
    const headers = { 'call-info': `<sip:${settings.domain}>;answer-after=0` };
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

  /** The fork of `st` leaves the pickup table. */
  private forget(st: ServerTransaction | undefined): void {
    const call = st && this.callOf.get(st);
    if (call === undefined) return;
    this.callOf.delete(st!);
    if (this.calls.get(call)?.fork.st === st) this.calls.delete(call);
  }

  /** A forwarded call's trunk leg starts (the first in a call names its record; each counts while ringing). */
  private outsideLegLeaves(ctx: RequestState, leg: NonNullable<Target['outsideLeg']>): void {
    this.deps.trunks()?.placed(String(ctx.req.headers['call-id']), leg.forwardedBy);
    if (!ctx.trunkCall?.forwardedBy) ctx.trunkCall = { trunk: leg.trunk, direction: 'outbound', routedTo: leg.routedTo, forwardedBy: leg.forwardedBy };
  }

  /** Our identity on a request from `from` to `to`: each leg names our address of its family (dual stack). */
  private identity(to: string, from: string): ForwardIdentity {
    const { settings, dialogTokens } = this.deps;
    const sides = settings.advertiseByFamily;
    return {
      advertise: advertiseFor(sides, to), inboundAdvertise: advertiseFor(sides, from), port: settings.port, viaPort: settings.viaPort, tlsPort: settings.tlsPort,
      dialogToken: (callId: string, fromTag: string) => dialogTokens.issue(callId, fromTag),
    };
  }
}

/**
 * Relays the 2xx that reach an Accepted branch after its first (RFC 6026 §7.2: retransmissions,
 * or another dialog's from a forking UAS) upstream in the server transaction, our Via off
 * (§16.7 step 9). Built here, outside `relay`, so that it holds the server transaction and the
 * counters only, not the response context, for the 32 s a branch lingers (issue 12). The calls
 * view saw the dialog start with the first 2xx: these are not reported again.
 */
class AcceptedRelay implements AcceptedSink {
  constructor(private readonly st: ServerTransaction, private readonly counters: SipCounters) {}

  relay(res: SipResponse): void {
    this.counters.reply(res.status, this.st.method);
    this.st.respond(forwardedResponse(res, this.st.vias));
  }
}

/** A call's key among the forks: Call-ID and the caller's tag (what a pickup request names). */
function callKey(callId: string, callerTag: string): string {
  return `${callId}|${callerTag}`;
}

function callKeyOf(req: SipRequest): string {
  return callKey(req.headers['call-id'], String(req.headers.from?.params?.tag ?? ''));
}

/** The proxy core as the stages see it (pipeline/services.ts `Relay`). */
export function relayPart(proxy: ProxyCore): Relay {
  return {
    relay: (ctx, targets, serial) => proxy.relay(ctx, targets, serial),
    relayStateless: (ctx, target) => proxy.relayStateless(ctx, target),
  };
}
