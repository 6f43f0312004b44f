import type { Stage } from '../context.ts';

/**
 * Admission (overload ladder step "shed"): a new INVITE or REGISTER beyond the admitted rate
 * gets 503 Service Unavailable with Retry-After (RFC 3261 §21.5.4); requests inside a dialog
 * never reach this stage (in-dialog stage before it), so calls in progress are not disturbed.
 */
export const admission: Stage = {
  name: 'admission',
  run(ctx) {
    const { req, services } = ctx;
    const kind = req.method === 'INVITE' ? 'call' : req.method === 'REGISTER' ? 'register' : undefined;
    if (!kind || services.admission.admit(kind)) return 'continue';
    services.reply(ctx, 503, 'Service Unavailable', { 'retry-after': String(services.admission.retryAfter) });
    return 'handled';
  },
};
