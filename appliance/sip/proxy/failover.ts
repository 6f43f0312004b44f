/**
 * Fail-over along the destinations of one target (RFC 3263 §4.3): when a destination answers
 * 503 or does not answer (timeout or transport error, RFC 3261 §17.1.4), the same request goes
 * to the next destination with a new branch, within the same response context (fork.ts), until
 * one answers otherwise or none is left; then the last outcome is the branch's (a 503 then
 * becomes 500 by response-selection.ts, RFC 3261 §16.7 step 6).
 */
import type { SipResponse } from '../message/types.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import { T1 } from '../transaction/timers.ts';
import type { Fork } from './fork.ts';
import type { Target } from './targets.ts';

/**
 * A destination that sent nothing at all (not even 100 Trying, which a server sends within
 * 200 ms, RFC 3261 §17.2.1) for this long is given up when another one is left: after Timer A's
 * fourth retransmission, instead of Timer B's 32 s, so that fail-over fits in a caller's patience.
 */
export const NO_RESPONSE_MS = 8 * T1;

/** The branch of fail-over attempt `attempt` (0: the first destination keeps the branch). */
export function failoverBranch(branch: string, attempt: number): string {
  return attempt === 0 ? branch : `${branch}.${attempt}`;
}

/** Sits between a branch's client transactions and the fork, replacing failed destinations. */
export class Failover implements ClientTransactionUser {
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly left: Target[];
  /** The destination being tried. */
  private current: Target;

  /**
   * @param first the first destination (its `fallbacks` are not read: `fallbacks` says them).
   * @param fallbacks the destinations after the first, in order.
   * @param open builds (and registers) the client transaction for `target`, not started.
   */
  constructor(
    private readonly fork: Fork,
    first: Target,
    fallbacks: readonly Target[],
    private readonly open: (target: Target, attempt: number, user: ClientTransactionUser) => ClientTransaction,
    private readonly noResponseMs = NO_RESPONSE_MS,
  ) {
    this.current = first;
    this.left = [...fallbacks];
  }

  /** Starts `ct` (the current destination), watching it for silence while fallbacks are left. */
  start(ct: ClientTransaction): void {
    clearTimeout(this.timer);
    // Watched for silence while a fallback is left, or when someone wants to know (a trunk).
    if (this.left.length > 0 || this.current.onUnanswered) {
      this.timer = setTimeout(() => {
        if (ct.lastStatus !== 0 || ct.state === 'terminated') return;
        ct.terminate();
        this.onTimeout(ct);
      }, this.noResponseMs);
    }
    ct.start();
  }

  onResponse(res: SipResponse, ct: ClientTransaction): void {
    clearTimeout(this.timer);
    if (res.status === 503 && this.failOver(ct)) return;
    this.fork.onResponse(res, ct);
  }

  onTimeout(ct: ClientTransaction): void {
    clearTimeout(this.timer);
    const silent = this.current;
    if (this.failOver(ct)) {
      // Moving past the last destination of the silent one's group (a trunk): that group is gone.
      if (silent.onUnanswered && silent.onUnanswered !== this.current.onUnanswered) silent.onUnanswered();
      return;
    }
    silent.onUnanswered?.();
    this.fork.onTimeout(ct);
  }

  private failOver(failed: ClientTransaction): boolean {
    const target = this.left.shift();
    if (!target) return false;
    const next = this.open(target, ++this.attempt, this);
    if (!this.fork.replace(failed, next)) {
      next.terminate();
      return false;
    }
    this.current = target;
    target.onStart?.();
    this.start(next);
    return true;
  }
}
