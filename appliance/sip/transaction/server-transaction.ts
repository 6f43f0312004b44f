import { encodeMessage } from '../message/encode.ts';
import type { SipRequest, SipResponse, Source } from '../message/types.ts';
import { responseTarget } from '../message/via.ts';
import type { Destination, SipTransport } from '../transport/transport.ts';
import { T2, TIMER_G, TIMER_H, TIMER_I, TIMER_J, TIMER_L } from './timers.ts';
import type { TransactionOwner } from './transaction-owner.ts';
import { cancelLinger, linger, type LingerTimer } from './linger-timers.ts';

/** The Via stack of a transaction that sends nothing but its last response any more (one array for all). */
const NO_VIAS = Object.freeze([]) as unknown as SipRequest['headers']['via'];

/** Server transaction states (RFC 3261 §17.2; "accepted" from RFC 6026 §7.1). */
export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/**
 * A server transaction (RFC 3261 §17.2.1 INVITE, §17.2.2 non-INVITE): sends responses to the
 * Via of the request, absorbs retransmissions by resending the last response, and for INVITE
 * retransmits a final non-2xx response until the ACK comes (timers G, H, I).
 *
 * Once its final response is sent it only lingers (Timer J, H/I; Timer L in Accepted, RFC 6026
 * §7.1), so it keeps only what that needs (issue 12: memory after a burst): its key, the last
 * response's bytes and where they go; in Accepted, where a 2xx still goes (the Via stack).
 */
export class ServerTransaction {
  state: ServerState;
  /** The request's method (kept after the request itself is released). */
  readonly method: string;
  /**
   * The request's Via stack, for responses relayed upstream (§16.7 step 9): kept after the
   * request is released while a 2xx may still go (Accepted); empty once nothing but the last
   * response can be sent.
   */
  vias: SipRequest['headers']['via'];
  private req?: SipRequest;
  private lastBytes?: Buffer;
  /** The timer that ends it once final (H, I, J, L: linger-timers.ts, no closure per timer, issue 12). */
  private timer?: LingerTimer;
  private retransmit?: ReturnType<typeof setTimeout>;
  /** Filled by the proxy: cancels the forwarding when a CANCEL matches this transaction. */
  onCancel?: () => void;
  /** Where responses go: the Via (with received/rport) or the connection the request came on. */
  readonly replyTo: Destination;
  /** When the request arrived (epoch ms): a call detail record starts here. */
  readonly createdAt = Date.now();

  constructor(
    readonly key: string,
    request: SipRequest,
    source: Source,
    private readonly transport: SipTransport,
    private readonly owner: TransactionOwner<ServerTransaction>,
  ) {
    this.req = request;
    this.method = request.method;
    this.vias = request.headers.via;
    this.state = request.method === 'INVITE' ? 'proceeding' : 'trying';
    const via = request.headers.via[0];
    // RFC 3581 §4: answer to the source address and port; RFC 3261 §18.2.2 for streams.
    this.replyTo = source.transport !== 'udp'
      ? { transport: source.transport, address: source.address, port: source.port, connection: source.connection }
      : { transport: 'udp', address: via.params.received ?? source.address, port: 'rport' in via.params ? source.port : responseTarget(via).port };
  }

  get isInvite(): boolean {
    return this.method === 'INVITE';
  }

  /**
   * The request, until a final response was sent: then it is released, since a finished
   * transaction only absorbs retransmissions (keeps memory flat under load).
   */
  get request(): SipRequest {
    if (!this.req) throw new Error(`server transaction ${this.key} has already answered`);
    return this.req;
  }

  /** True once a final response was sent. */
  get isFinal(): boolean {
    return this.state !== 'trying' && this.state !== 'proceeding';
  }

  /** Sends a response in this transaction, moving the state machine. */
  respond(res: SipResponse): void {
    if (this.state === 'terminated' || this.state === 'confirmed') return;
    if (this.isFinal && !(this.state === 'accepted' && res.status >= 200 && res.status < 300)) return;
    this.lastBytes = encodeMessage(res);
    this.send(this.lastBytes);
    if (res.status < 200) {
      if (this.state === 'trying') this.state = 'proceeding';
      return;
    }
    this.req = undefined;
    this.onCancel = undefined;
    if (!this.isInvite || res.status >= 300) this.vias = NO_VIAS;
    const reliable = this.replyTo.transport !== 'udp';
    if (this.isInvite) {
      if (res.status < 300) {
        this.lastBytes = undefined; // 2xx retransmissions are the UAS's job (RFC 6026 §7.1)
        this.setState('accepted', TIMER_L);
      } else {
        this.setState('completed', TIMER_H);
        if (!reliable) this.scheduleRetransmit(TIMER_G);
      }
    } else {
      this.setState('completed', reliable ? 0 : TIMER_J);
    }
  }

  /** A retransmission of the request arrived: resend the last response (§17.2.1, §17.2.2). */
  onRetransmission(): void {
    if (this.lastBytes && this.state !== 'accepted') this.send(this.lastBytes);
  }

  /** The ACK for a non-2xx final response (§17.2.1): stop retransmitting, absorb stray ACKs. */
  onAck(): void {
    if (this.state !== 'completed') return;
    clearTimeout(this.retransmit);
    this.retransmit = undefined;
    this.lastBytes = undefined; // nothing is sent any more (Confirmed absorbs ACKs)
    this.setState('confirmed', this.replyTo.transport !== 'udp' ? 0 : TIMER_I);
  }

  terminate(): void {
    cancelLinger(this.timer);
    clearTimeout(this.retransmit);
    this.timer = this.retransmit = undefined;
    this.lastBytes = undefined;
    if (this.state === 'terminated') return;
    if (!this.isFinal) this.owner.settled(this);
    this.state = 'terminated';
    this.owner.terminated(this);
  }

  private setState(state: ServerState, timeout: number): void {
    if (!this.isFinal) this.owner.settled(this);
    this.state = state;
    cancelLinger(this.timer);
    if (timeout <= 0) this.terminate();
    else this.timer = linger(timeout, this);
  }

  private scheduleRetransmit(interval: number): void {
    this.retransmit = setTimeout(() => {
      if (this.state !== 'completed' || !this.lastBytes) return;
      this.send(this.lastBytes);
      this.scheduleRetransmit(Math.min(interval * 2, T2));
    }, interval);
  }

  private send(bytes: Buffer): void {
    this.transport.send(this.replyTo, bytes, true);
  }
}
