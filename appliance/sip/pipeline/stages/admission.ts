import { parseSipUri, uriHost } from '../../message/uri.ts';
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
    if (!kind) return 'continue';
    const handOff = services.admission.handOff;
    if (handOff) {
      // New work goes to the peer appliance we handed off to (DESIGN.md overload ladder).
      // REGISTER is always redirected: forwarded, the peer would bind the phone to us.
      const user = (kind === 'register' ? parseSipUri(req.headers.to.uri)?.user : ctx.ruri?.user) ?? '';
      const peerUri = `sip:${user ? `${user}@` : ''}${uriHost(handOff.address)}:${handOff.port}`;
      if (handOff.mode === 'forward' && kind === 'call') {
        services.relay(ctx, [{ uri: `sip:${user}@${services.settings.domain}`, dest: { transport: 'udp', address: handOff.address, port: handOff.port } }]);
      } else {
        services.reply(ctx, 302, 'Moved Temporarily', { contact: [{ uri: peerUri, params: {} }] });
      }
      return 'handled';
    }
    if (services.admission.admit(kind)) return 'continue';
    services.reply(ctx, 503, 'Service Unavailable', { 'retry-after': String(services.admission.retryAfter) });
    return 'handled';
  },
};
