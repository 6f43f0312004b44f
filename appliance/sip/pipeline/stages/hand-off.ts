import { parseSipUri, uriHost } from '../../message/uri.ts';
import type { Stage } from '../context.ts';
import type { Admission, Configuration, Relay, Replies } from '../services.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & Relay & Admission;

/**
 * Hand-off (overload ladder step "hand off"): while this appliance has handed its new traffic
 * to a peer, a new INVITE or REGISTER is redirected (302) or forwarded there; emergency calls
 * stay here. Requests inside a dialog never reach this stage (in-dialog stage before it), so
 * calls in progress are not disturbed. Shedding is the `overload` stage's, before any state.
 */
export const handOff: Stage<Uses> = {
  name: 'hand-off',
  run(ctx) {
    const { req, services } = ctx;
    const kind = req.method === 'INVITE' ? 'call' : req.method === 'REGISTER' ? 'register' : undefined;
    if (!kind) return 'continue';
    const target = services.admission.handOff;
    const emergency = kind === 'call' && !!ctx.ruri?.user && services.settings.emergencyNumbers.has(ctx.ruri.user);
    if (target && !emergency) {
      // New work goes to the peer appliance we handed off to (DESIGN.md overload ladder).
      // REGISTER is always redirected: forwarded, the peer would bind the phone to us.
      const user = (kind === 'register' ? parseSipUri(req.headers.to.uri)?.user : ctx.ruri?.user) ?? '';
      const peerUri = `sip:${user ? `${user}@` : ''}${uriHost(target.address)}:${target.port}`;
      if (target.mode === 'forward' && kind === 'call') {
        ctx.handOff = 'forward';
        services.relay(ctx, [{ uri: `sip:${user}@${services.settings.domain}`, dest: { transport: 'udp', address: target.address, port: target.port } }]);
      } else {
        ctx.handOff = 'redirect';
        services.reply(ctx, 302, 'Moved Temporarily', { contact: [{ uri: peerUri, params: {} }] });
      }
      return 'handled';
    }
    return 'continue';
  },
};
