import type { SipResponse } from '../message/types.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/client-transaction.ts';
import type { Fork } from './fork.ts';
import type { UpstreamAuthorizer } from './targets.ts';

/**
 * A branch to a next hop that challenges us (RFC 3261 §22.2-22.3; a SIP trunk answering our
 * forwarded INVITE with 407): the first 401/407 is answered with the target's credentials by
 * sending the request again, with the credentials and a new branch, within the same response
 * context (fork.ts); the challenge never reaches the caller. A second challenge on the same
 * branch (wrong credentials) goes upstream like any final response.
 */
export class UpstreamAuth implements ClientTransactionUser {
  private answered = false;

  /**
   * @param next the branch's user otherwise (the fork, or a fail-over).
   * @param reopen builds (and registers) the same request with `headers` added, not started.
   */
  constructor(
    private readonly next: ClientTransactionUser,
    private readonly fork: Fork,
    private readonly authorizer: UpstreamAuthorizer,
    private readonly reopen: (headers: Record<string, string>, user: ClientTransactionUser) => ClientTransaction,
  ) {}

  onResponse(res: SipResponse, ct: ClientTransaction): void {
    if ((res.status === 401 || res.status === 407) && !this.answered) {
      this.answered = true;
      const headers = this.authorizer.answer(res, ct.request);
      if (headers) {
        const again = this.reopen(headers, this);
        if (this.fork.replace(ct, again)) {
          again.start();
          return;
        }
        again.terminate();
      }
    }
    this.next.onResponse(res, ct);
  }

  onTimeout(ct: ClientTransaction): void {
    this.next.onTimeout(ct);
  }
}
