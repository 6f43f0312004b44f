import type { Stage } from '../context.ts';
import type { Admission, Configuration, Replies, Transactions } from '../services.ts';
import { serverKey } from '../../transaction/transaction-keys.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & Transactions & Admission;

/**
 * Overload (DESIGN.md overload ladder step "shed"), before any work is spent on the request:
 * a new INVITE or REGISTER that this worker does not admit now (admission-control.ts: its own
 * judgement of its load, or the control section's admitted rate) gets 503 Service Unavailable
 * with Retry-After (RFC 3261 §21.5.4), statelessly: no server transaction is kept for it, so
 * refusing costs no memory (issue 12: a saturated worker grew to 940 MB of open transactions).
 * Never refused: requests inside a dialog (a To tag: calls in progress must end), the
 * retransmission of a request already admitted (its transaction answers it), and calls to an
 * emergency number (`[emergency] numbers`).
 */
export const overload: Stage<Uses> = {
  name: 'overload',
  run(ctx) {
    const { req, services } = ctx;
    const kind = req.method === 'INVITE' ? 'call' : req.method === 'REGISTER' ? 'register' : undefined;
    if (!kind || req.headers.to.params.tag) return 'continue';
    // The key the transaction stage looks up next (made once per request).
    ctx.txKey = serverKey(req);
    if (services.findServer(ctx.txKey)) return 'continue';
    const emergency = kind === 'call' && !!ctx.ruri?.user && services.settings.emergencyNumbers.has(ctx.ruri.user);
    if (services.admission.admit(kind, emergency)) return 'continue';
    services.reply(ctx, statusFor('overloaded').sip, 'Service Unavailable', { 'retry-after': String(services.admission.retryAfter) });
    return 'handled';
  },
};
