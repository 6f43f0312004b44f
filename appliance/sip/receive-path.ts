import { inCidrList } from '../../system/config/index.ts';
import { asApplianceError, statusFor } from '../../system/errors/index.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import type { Logger } from '../../system/log/logger.ts';
import type { CallTrace } from './call-trace.ts';
import type { StatelessSend } from './local-replies.ts';
import { buildResponse } from './message/encode.ts';
import { decodeMessage } from './message/decode.ts';
import type { SipRequest, SipResponse, Source } from './message/types.ts';
import { loggableUri, socketHost } from './message/uri.ts';
import { siblingOwner } from './our-addresses.ts';
import type { AdmissionControl } from './pipeline/admission-control.ts';
import type { RequestContext, RequestState, SipSettings } from './pipeline/context.ts';
import type { FlowSpreader } from './pipeline/flow-spreader.ts';
import { REQUEST_PIPELINE, runPipeline } from './pipeline/pipeline.ts';
import type { PipelineServices } from './pipeline/services.ts';
import { stampReceived } from './proxy/forwarding.ts';
import type { SourceGuard } from './security/source-guard.ts';
import type { SipCounters } from './sip-counters.ts';
import type { TransactionLayer } from './transaction/transaction-layer.ts';
import type { Destination } from './transport/transport.ts';

/** What the receive path reads and hands messages to (the SIP service's parts). */
export interface ReceivePathDeps {
  readonly settings: SipSettings;
  readonly guard: SourceGuard;
  readonly counters: SipCounters;
  readonly admission: AdmissionControl;
  readonly trace: CallTrace;
  readonly transactions: Pick<TransactionLayer, 'matchResponse'>;
  readonly sendStateless: StatelessSend;
  /** The parts the stages use: what the request pipeline runs with. */
  readonly services: PipelineServices;
  readonly send: (dest: Destination, data: Buffer) => void;
  readonly log: (kind: EventKind, message: string, details?: Record<string, unknown>) => void;
  readonly logger?: Pick<Logger, 'enabled' | 'log'>;
}

/**
 * Every message the transports deliver, in order: bans, the hot-flow spreader (before any
 * decoding), decoding (message/decode.ts), then a request into the pipeline
 * (pipeline/pipeline.ts) and a response to its client transaction (RFC 3261 §17.1.3) or to
 * the sibling worker whose transaction it is.
 */
export class ReceivePath {
  /** Via ports of the sibling connection control sections (set by the control section). */
  siblingViaPorts: ReadonlySet<number> = new Set();
  /** Spreads a hot flow over the sibling workers (pipeline/flow-spreader.ts); absent in one process. */
  spreader: FlowSpreader | undefined;
  private readonly settings: SipSettings;
  private readonly sourceGuard: SourceGuard;
  private readonly counters: SipCounters;
  private readonly admission: AdmissionControl;
  private readonly trace: CallTrace;
  private readonly sendStateless: StatelessSend;
  private readonly services: PipelineServices;

  constructor(private readonly deps: ReceivePathDeps) {
    this.settings = deps.settings;
    this.sourceGuard = deps.guard;
    this.counters = deps.counters;
    this.admission = deps.admission;
    this.trace = deps.trace;
    this.sendStateless = deps.sendStateless;
    this.services = deps.services;
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
        this.sendStateless(decoded.msg, source, buildResponse(decoded.msg, decoded.status, decoded.reason, decoded.extraHeaders ?? {}, this.services.toTag(decoded.msg)));
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
    const ctx: RequestContext<PipelineServices> = { req, source, services: this.services, trusted };
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
    if (ctx.req.method !== 'ACK') this.services.reply(ctx, statusFor(asApplianceError(err).code).sip);
  }

  private onResponse(res: SipResponse): void {
    if (this.deps.transactions.matchResponse(res)) return;
    // A response for a sibling worker's transaction that reached us (over a TCP/TLS connection
    // we hold, or on the shared UDP port: a phone answers the address a request came from, and
    // requests to UDP phones leave from the shared port for their NAT pinholes): hand it to
    // that worker's own Via port, where its client transaction waits (our-addresses.ts).
    const via = res.headers.via[0];
    const owner = siblingOwner(this.settings, via, this.siblingViaPorts);
    if (owner !== undefined && res.wire) {
      this.deps.send({ transport: 'udp', address: socketHost(via.host), port: owner }, res.wire);
      return;
    }
    // A response that matches no transaction of ours is dropped (RFC 3261 §16.7 step 2 allows
    // stateless forwarding, but a forged "200 OK" must not be relayed; 2xx retransmissions
    // reach their client transaction, which stays Accepted for them, RFC 6026 §7.2).
    this.counters.dropped++;
  }
}
