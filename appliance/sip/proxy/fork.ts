import { buildResponse } from '../message/encode.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import type { AcceptedSink, ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { ServerTransaction } from '../transaction/server-transaction.ts';
import { TIMER_C } from '../transaction/timers.ts';
import { selectBest } from './response-selection.ts';

/** RFC 5626 §11.5. */
const FLOW_FAILED = 'Flow Failed';

/** What a fork needs from the proxy: forwarding a response upstream, sending CANCELs. */
export interface ForkHost {
  /** Sends a CANCEL for an INVITE client transaction (same branch, RFC 3261 §9.1). */
  cancelBranch(ct: ClientTransaction): void;
  /** Turns a downstream response into the upstream one (pops our Via, §16.7 step 9); `ct`: the branch it came on. */
  upstream(res: SipResponse, ct?: ClientTransaction): SipResponse;
  toTag(req: SipRequest): string;
  /** A final response the fork made itself (408, 487, a 503 turned 500, §16.7 step 6): the call records see it too; `heard`: any branch got a response, a 100 at least (sip/call-owner.ts). */
  localFinal?(res: SipResponse, heard: boolean): void;
  /**
   * What relays the 2xx that reach an answered branch later, while it is Accepted (RFC 6026
   * §7.2: retransmissions, another dialog's): it must hold no more than that needs, since the
   * branch lingers with it for Timer M while the response context itself is let go (issue 12).
   */
  acceptedRelay(): AcceptedSink;
  /** The response context is over (answered, or its final response chosen): nothing more starts in it. */
  over?(): void;
  /**
   * We are the edge proxy of a flow (a peer's request with a flow token, RFC 5626 §5.3.1): a
   * 430 Flow Failed goes upstream as it is, for the peer (the authoritative proxy) to decide;
   * otherwise the caller hears 480 (response-selection.ts).
   */
  readonly edgeOfFlow?: boolean;
}

/** How the current targets of a fork ended (serial forking, proxy/serial-fork.ts). */
export interface ForkOutcome {
  /** The final status of every branch so far (a branch we cancelled for ringing too long counts 480). */
  readonly statuses: readonly number[];
  /** True when the current targets were cancelled because their ring time was over. */
  readonly rangOut: boolean;
}

/**
 * More targets after the current ones (RFC 3261 §16.7 step 6 / §16.6: a proxy may forward to
 * further targets within the same response context when none answered).
 */
export interface ForkContinuation {
  /** Every branch ended without 2xx: true when it takes over (it calls `continued` later). */
  advance(outcome: ForkOutcome): boolean;
  /** The response context is over (answered, cancelled, answered upstream): stop timers. */
  stop(): void;
}

/**
 * Recursion on 3xx (RFC 3261 §16.5, §16.7 step 4): a branch's redirect may be followed by
 * new branches in the same response context (proxy/redirect-recursion.ts decides which).
 */
export interface RedirectFollower {
  /**
   * A branch answered 3xx: undefined when none of its contacts is followed (the 3xx stays in
   * the response context); else resolves true once new branches were added and started (the
   * 3xx then leaves the context, §16.7 step 4), false when there was nothing to start.
   */
  follow(res: SipResponse, ct: ClientTransaction): Promise<boolean> | undefined;
}

/**
 * The response context of one forwarded request (RFC 3261 §16.7): the server transaction,
 * its client transactions (parallel forking), provisional and 2xx forwarding, CANCEL of the
 * other branches after a 2xx or 6xx, and the best final response when all branches ended.
 */
export class Fork implements ClientTransactionUser {
  readonly branches: ClientTransaction[] = [];
  private readonly finals: (SipResponse | undefined)[] = [];
  private answered = false;
  private canceled = false;
  private done = false;
  private readonly cancelWhenProvisional = new Set<ClientTransaction>();
  private timerC?: ReturnType<typeof setTimeout>;
  /** Serial forking: what comes after the current targets (proxy/serial-fork.ts). */
  continuation?: ForkContinuation;
  private advancing = false;
  private rangOut = false;
  private readonly rungOut = new Set<ClientTransaction>();
  /** 3xx recursion; undefined: a 3xx is a final response like the others. */
  redirects?: RedirectFollower;
  /** Redirects being followed now: the fork waits for their branches. */
  private following = 0;
  /** Branches whose 3xx was recursed on: out of the response context (§16.7 step 4). */
  private readonly recursed = new Set<number>();
  /** A branch got a response, any (`localFinal`'s `heard`). */
  private heard = false;

  constructor(readonly st: ServerTransaction, private readonly host: ForkHost) {
    st.onCancel = () => this.cancel();
    if (st.isInvite) this.timerC = setTimeout(() => this.cancel(), TIMER_C);
  }

  add(ct: ClientTransaction): void {
    ct.index = this.branches.length;
    this.branches.push(ct);
    this.finals.push(undefined);
  }

  /**
   * Fail-over (RFC 3263 §4.3, failover.ts): `next` takes the place of `old` in its branch.
   * False when the response context is over (answered, canceled, finished): do not start `next`.
   */
  replace(old: ClientTransaction, next: ClientTransaction): boolean {
    const i = this.branches.indexOf(old);
    if (this.done || this.answered || this.canceled || i < 0) return false;
    next.index = i;
    this.branches[i] = next;
    this.cancelWhenProvisional.delete(old);
    return true;
  }

  onResponse(res: SipResponse, ct: ClientTransaction): void {
    const s = res.status;
    this.heard = true;
    if (s < 200) {
      if (this.cancelWhenProvisional.delete(ct)) this.host.cancelBranch(ct);
      // §16.7 step 5: forward provisional responses except 100.
      if (s > 100 && !this.done) this.st.respond(this.host.upstream(res, ct));
      return;
    }
    if (s < 300) {
      // §16.7 step 5: every 2xx to an INVITE goes upstream at once, even after another 2xx;
      // what comes later on this branch (RFC 6026 Accepted) is the relay's, not this context's.
      if (ct.isInvite) ct.lingerWith(this.host.acceptedRelay());
      this.answered = true;
      this.finish();
      this.st.respond(this.host.upstream(res, ct));
      if (this.st.isInvite) this.cancelPending(ct);
      return;
    }
    if (s < 400 && this.redirects && this.st.isInvite && !this.over) {
      const following = this.redirects.follow(res, ct);
      if (following) {
        this.finals[ct.index] = res;
        this.following++;
        following.then((started) => {
          if (started) this.recursed.add(ct.index);
        }, () => {}).finally(() => {
          this.following--;
          this.maybeComplete();
        });
        return;
      }
    }
    // A branch we cancelled because its ring time was over did not answer (480), it was not the caller's CANCEL.
    this.finals[ct.index] = s === 487 && this.rungOut.has(ct) ? buildResponse(ct.request, 480, 'Temporarily Unavailable') : res;
    if (s >= 600 && this.st.isInvite) this.cancelPending(ct); // §16.7 step 10
    this.maybeComplete();
  }

  onTimeout(ct: ClientTransaction): void {
    // §16.7 step 1 / §16.8: a branch that times out counts as a 408.
    this.finals[ct.index] = buildResponse(ct.request, 408, 'Request Timeout');
    this.maybeComplete();
  }

  /**
   * The transport could not deliver the request (RFC 3261 §17.1.4): a 408 like a timeout; over
   * a flow that is gone (`flowOnly`: the phone's connection closed, here or in the sibling worker
   * that held it), 430 Flow Failed (RFC 5626 §5.3.1), at once rather than after Timer B.
   */
  onTransportError(ct: ClientTransaction): void {
    if (!ct.dest.flowOnly) {
      this.onTimeout(ct);
      return;
    }
    this.finals[ct.index] = buildResponse(ct.request, 430, FLOW_FAILED);
    this.maybeComplete();
  }

  /** CANCEL from upstream, or Timer C: cancel every branch still pending (§16.10). */
  cancel(): void {
    if (this.done) return;
    this.canceled = true;
    this.cancelPending(undefined);
  }

  /** True once the fork answered upstream or was cancelled: nothing more may start. */
  get over(): boolean {
    return this.done || this.answered || this.canceled;
  }

  /**
   * A serial step's ring time is over: cancel the branches still ringing; when they have
   * ended the continuation is asked for the next targets (their 487 counts as 480).
   */
  ringOut(): void {
    if (this.over) return;
    this.rangOut = true;
    for (const ct of this.branches) if (this.finals[ct.index] === undefined) this.rungOut.add(ct);
    this.cancelPending(undefined);
  }

  /**
   * Call pickup (docs/PBX.md): the ringing branches are cancelled like a serial step's ring-out,
   * and `start` then forwards to the picker within this response context (once: should the
   * picker's phone not answer either, the best response goes upstream). False when the call is
   * already answered or over.
   */
  pickUp(start: () => void): boolean {
    if (this.over) return false;
    this.continuation?.stop();
    let used = false;
    this.continuation = {
      advance: () => {
        if (used) return false;
        used = true;
        start();
        this.continued();
        return true;
      },
      stop: () => {},
    };
    this.ringOut();
    return true;
  }

  /**
   * The continuation has started its next targets (added with `add`), or has none: then the
   * fork answers with `reply` when given (the next target's own answer, such as 486), else
   * with the best response so far.
   */
  continued(reply?: { readonly status: number; readonly reason?: string }): void {
    this.advancing = false;
    this.rangOut = false;
    if (this.done || this.answered) return;
    if (this.finals.some((f) => f === undefined)) {
      // New branches: Timer C runs per forwarded request (RFC 3261 §16.6 step 11), so a hunt
      // longer than 3 minutes is not cut by the first step's timer.
      clearTimeout(this.timerC);
      if (this.st.isInvite) this.timerC = setTimeout(() => this.cancel(), TIMER_C);
      return;
    }
    if (reply && !this.canceled) {
      this.finish();
      const res = buildResponse(this.st.request, reply.status, reply.reason, {}, this.host.toTag(this.st.request));
      this.st.respond(res);
      this.host.localFinal?.(res, this.heard);
      return;
    }
    this.conclude();
  }

  private cancelPending(except: ClientTransaction | undefined): void {
    for (const ct of this.branches) {
      if (ct === except || ct.state === 'terminated' || ct.state === 'completed' || ct.state === 'accepted' || !ct.isInvite) continue;
      // §9.1: no CANCEL before a provisional response; send it when one arrives.
      if (ct.lastStatus >= 100) this.host.cancelBranch(ct);
      else this.cancelWhenProvisional.add(ct);
    }
  }

  /** The final responses in the response context: every branch's but those recursed on. */
  private context(): SipResponse[] {
    return this.finals.filter((f, i) => !this.recursed.has(i)) as SipResponse[];
  }

  private maybeComplete(): void {
    if (this.done || this.answered || this.advancing || this.following > 0) return;
    if (this.finals.some((f) => f === undefined)) return;
    if (!this.canceled && this.continuation) {
      const statuses = this.context().map((f) => f.status);
      this.advancing = true;
      if (this.continuation.advance({ statuses, rangOut: this.rangOut })) return;
      this.advancing = false;
    }
    this.conclude();
  }

  private conclude(): void {
    this.finish();
    const finals = this.context();
    const statuses = finals.map((f) => f.status);
    const best = selectBest(statuses, this.host.edgeOfFlow === true)!;
    let res: SipResponse;
    // Cancelled upstream: 487; with serial forking also when the last step's branches had ended (rung out, 480).
    if (this.canceled && (statuses.every((s) => s === 408) || this.continuation)) {
      res = buildResponse(this.st.request, 487, 'Request Terminated', {}, this.host.toTag(this.st.request));
      this.host.localFinal?.(res, this.heard);
    } else if (best.status !== statuses[best.index] || statuses[best.index] === 408 || statuses[best.index] === 430) {
      res = buildResponse(this.st.request, best.status, best.status === 430 ? FLOW_FAILED : undefined, {}, this.host.toTag(this.st.request));
      this.host.localFinal?.(res, this.heard);
    } else {
      res = this.host.upstream(finals[best.index]);
    }
    this.st.respond(res);
  }

  private finish(): void {
    const first = !this.done;
    this.done = true;
    clearTimeout(this.timerC);
    this.timerC = undefined;
    this.continuation?.stop();
    if (first) this.host.over?.();
  }
}
