import { serverKey } from '../../transaction/transaction-keys.ts';
import type { Stage } from '../context.ts';
import type { Admission, Configuration, Replies, Transactions } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & Transactions & Admission;

/**
 * Transaction matching: retransmissions get the last response again, an ACK for a non-2xx
 * final response is absorbed hop by hop (§17.2.1), a CANCEL is answered and applied to its
 * INVITE (§16.10, §9.2); anything else new gets a server transaction.
 */
export const transaction: Stage<Uses> = {
  name: 'transaction',
  run(ctx) {
    const { req, services } = ctx;
    ctx.txKey ??= serverKey(req); // the overload stage may have made it
    const existing = services.findServer(ctx.txKey);
    if (req.method === 'ACK') {
      if (existing) {
        existing.onAck(); // ACK to our non-2xx final: absorbed here (§16.7 step 10 note)
        return 'handled';
      }
      return 'continue'; // ACK for a 2xx: end to end, routed like any in-dialog request
    }
    if (existing) {
      existing.onRetransmission();
      return 'handled';
    }
    if (req.method === 'CANCEL') {
      const invite = services.findServer(serverKey(req, 'INVITE'));
      ctx.st = services.createServer(ctx);
      if (!invite) {
        services.reply(ctx, 481, 'Call/Transaction Does Not Exist');
        return 'handled';
      }
      services.reply(ctx, 200, 'OK');
      if (!invite.isFinal) {
        invite.onCancel?.();
        if (!invite.onCancel) services.reply({ ...ctx, st: invite, req: invite.request }, 487, 'Request Terminated');
      }
      return 'handled';
    }
    // A hard bound on state (issue 10): new work beyond the cap is refused statelessly; requests
    // inside a dialog keep a margin so calls in progress can still end.
    // Counted: transactions with work left (open minus those kept only for their timers at the
    // last load tick); all of them together are bounded at 4 x the cap (memory, ~1 KB each).
    const cap = services.settings.maxTransactions;
    const all = services.openTransactions;
    const open = Math.max(all - services.admission.lingering, all / 4);
    if (open >= cap && (!req.headers.to.params.tag || open >= cap * 1.25)) {
      services.admission.shed++;
      services.reply(ctx, statusFor('overloaded').sip, 'Service Unavailable', { 'retry-after': String(services.admission.retryAfter) });
      return 'handled';
    }
    ctx.st = services.createServer(ctx);
    return 'continue';
  },
};
