import { encodeMessage } from '../message/encode.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { Destination, SipTransport } from '../transport/transport.ts';
import { T2, TIMER_A, TIMER_B, TIMER_D, TIMER_E, TIMER_F, TIMER_K, TIMER_M } from './timers.ts';
import type { TransactionOwner } from './transaction-owner.ts';
import { cancelLinger, linger, type LingerTimer } from './linger-timers.ts';

/** Client transaction states (RFC 3261 §17.1; "accepted" from RFC 6026 §7.2). */
export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** What a client transaction reports to its user (STYLE.md §3: a small typed interface). */
export interface ClientTransactionUser {
  onResponse(res: SipResponse, ct: ClientTransaction): void;
  /** Timer B or F fired, or the transport failed: the user treats it as a 408 (§16.7 step 1). */
  onTimeout(ct: ClientTransaction): void;
  /**
   * The transport could not deliver the request, and why (a TLS certificate refused, a
   * connection refused: RFC 3261 §17.1.4); without it `onTimeout` is told.
   */
  onTransportError?(ct: ClientTransaction, reason: string): void;
}

/** Where the 2xx that reach an Accepted client transaction go once its user let go of it. */
export interface AcceptedSink {
  relay(res: SipResponse): void;
}

/**
 * A client transaction (RFC 3261 §17.1.1 INVITE, §17.1.2 non-INVITE): sends the request,
 * retransmits it over UDP (timers A/E), times out (B/F), and for INVITE acknowledges a final
 * non-2xx response itself (§17.1.1.3), hop by hop.
 *
 * Once it has its final response it only lingers (Timer D/K: absorbing retransmissions of that
 * response; Timer M: taking 2xx retransmissions, RFC 6026 §7.2): it then lets go of its request,
 * its encoded bytes and its user, keeping its key, destination and ACK bytes (issue 12: memory
 * after a burst). A 2xx in Accepted goes to what the user left with `lingerWith`.
 */
export class ClientTransaction {
  state: ClientState;
  /** The request's method (kept after the request itself is released). */
  readonly method: string;
  private req?: SipRequest;
  private bytes?: Buffer;
  private user?: ClientTransactionUser;
  private timeout?: ReturnType<typeof setTimeout>;
  private retransmit?: ReturnType<typeof setTimeout>;
  /** The timer that ends it once final (D, K, M: linger-timers.ts, no closure per timer, issue 12). */
  private lingering?: LingerTimer;
  private ackBytes?: Buffer;
  /** Accepted: where later 2xx go, once the user let go (`lingerWith`). */
  private accepted?: AcceptedSink;
  /** The proxy's branch index within its response context. */
  index = 0;
  /** Highest status received so far (0 = none). */
  lastStatus = 0;

  constructor(
    readonly key: string,
    request: SipRequest,
    readonly dest: Destination,
    private readonly transport: SipTransport,
    user: ClientTransactionUser,
    private readonly owner: TransactionOwner<ClientTransaction>,
  ) {
    this.req = request;
    this.user = user;
    this.method = request.method;
    this.state = request.method === 'INVITE' ? 'calling' : 'trying';
    this.bytes = encodeMessage(request);
  }

  /** The request, until the final response was handed to the user (then it is released). */
  get request(): SipRequest {
    if (!this.req) throw new Error(`client transaction ${this.key} has released its request`);
    return this.req;
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  /**
   * Said by the user when a 2xx to an INVITE reaches it: the 2xx that may still come while the
   * transaction is Accepted (retransmissions, another dialog's) go to `sink`, and the
   * transaction lets go of the user. `sink` should hold only what relaying them needs.
   */
  lingerWith(sink: AcceptedSink): void {
    this.accepted = sink;
  }

  start(): void {
    // §17.1.4: a connection that cannot be opened is a transport error at once, not Timer B/F.
    // A failure told after a response came (a flow closing later) is not one of delivery: ignored.
    if (!this.bytes || !this.transport.send(this.dest, this.bytes, false, (reason) => this.lastStatus === 0 && this.fail(reason))) {
      queueMicrotask(() => this.fail('the transport could not take it'));
      return;
    }
    const reliable = this.dest.transport !== 'udp';
    this.timeout = setTimeout(() => this.fail(), this.isInvite ? TIMER_B : TIMER_F);
    if (!reliable) this.scheduleRetransmit(this.isInvite ? TIMER_A : TIMER_E);
  }

  /** A response matched this transaction (§17.1.3). */
  receive(res: SipResponse): void {
    const s = res.status;
    if (this.state === 'terminated') return;
    if (this.state === 'accepted') {
      // RFC 6026 §7.2: 2xx retransmissions (and other branches' 2xx) go to the TU; the rest is dropped.
      if (s >= 200 && s < 300) {
        if (this.accepted) this.accepted.relay(res);
        else this.user?.onResponse(res, this);
      }
      return;
    }
    if (this.state === 'completed') {
      // Retransmitted final response: resend our ACK (§17.1.1.2).
      if (this.isInvite && s >= 300 && this.ackBytes) this.transport.send(this.dest, this.ackBytes);
      return;
    }
    this.lastStatus = Math.max(this.lastStatus, s);
    if (s < 200) {
      if (this.state === 'calling' || this.state === 'trying') {
        this.state = 'proceeding';
        // INVITE: stop retransmitting on a provisional (§17.1.1.2); non-INVITE goes on at T2.
        if (this.isInvite) this.stopRetransmitting();
      }
      this.user?.onResponse(res, this);
      return;
    }
    this.stopRetransmitting();
    clearTimeout(this.timeout);
    const user = this.user;
    if (this.isInvite && s < 300) {
      // 2xx: the ACK is end to end (§17.1.1.2); stay Accepted for its retransmissions (RFC 6026 §7.2).
      this.owner.settled(this);
      this.state = 'accepted';
      this.lingering = linger(TIMER_M, this);
      try {
        user?.onResponse(res, this);
      } finally {
        this.release(this.accepted !== undefined);
      }
      return;
    }
    if (this.isInvite && this.req) {
      this.ackBytes = encodeMessage(buildAck(this.req, res));
      this.transport.send(this.dest, this.ackBytes);
    }
    this.owner.settled(this);
    this.state = 'completed';
    const lingerFor = this.dest.transport !== 'udp' ? 0 : this.isInvite ? TIMER_D : TIMER_K;
    if (lingerFor === 0) this.terminate();
    else this.lingering = linger(lingerFor, this);
    try {
      user?.onResponse(res, this);
    } finally {
      this.release(true);
    }
  }

  terminate(): void {
    this.stopRetransmitting();
    clearTimeout(this.timeout);
    this.timeout = undefined;
    cancelLinger(this.lingering);
    this.lingering = undefined;
    if (this.state === 'terminated') return;
    if (this.state !== 'completed' && this.state !== 'accepted') this.owner.settled(this);
    this.state = 'terminated';
    this.owner.terminated(this);
  }

  private fail(reason?: string): void {
    if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted') return;
    const user = this.user;
    this.terminate();
    try {
      if (reason !== undefined && user?.onTransportError) user.onTransportError(this, reason);
      else user?.onTimeout(this);
    } finally {
      this.release(true);
    }
  }

  /** The final response is the user's: what is left is lingering (the request, its bytes; the user too when `dropUser`). */
  private release(dropUser: boolean): void {
    this.req = undefined;
    this.bytes = undefined;
    if (dropUser) this.user = undefined;
  }

  private stopRetransmitting(): void {
    clearTimeout(this.retransmit);
    this.retransmit = undefined;
  }

  private scheduleRetransmit(interval: number): void {
    this.retransmit = setTimeout(() => {
      if (this.state === 'terminated' || this.state === 'completed' || this.state === 'accepted' || !this.bytes) return;
      if (this.isInvite && this.state !== 'calling') return;
      this.transport.send(this.dest, this.bytes);
      const next = this.isInvite ? interval * 2 : Math.min(interval * 2, T2);
      this.scheduleRetransmit(this.state === 'proceeding' ? T2 : next);
    }, interval);
  }
}

/** ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same branch, R-URI, Route; To from the response. */
export function buildAck(invite: SipRequest, res: SipResponse): SipRequest {
  const headers: SipRequest['headers'] = {
    via: [invite.headers.via[0]],
    to: res.headers.to,
    from: invite.headers.from,
    'call-id': invite.headers['call-id'],
    cseq: { seq: invite.headers.cseq.seq, method: 'ACK' },
    'max-forwards': '70',
  } as SipRequest['headers'];
  if (invite.headers.route) headers.route = invite.headers.route;
  return { method: 'ACK', uri: invite.uri, version: '2.0', headers, content: '' };
}
