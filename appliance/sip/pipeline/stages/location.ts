import type { RouteDecision } from '../../proxy/targets.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { LocalAddresses, Location, Relay, Replies } from '../services.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & Relay & LocalAddresses & Location;

/**
 * The location service (RFC 3261 §16.5): a request for a user of our domain is relayed to the
 * user's registered contacts (all of them: parallel forking), redirected with 302 in redirect
 * mode, or answered 480 (known extension, no contact) / 404 (unknown).
 */
export const location: Stage<Uses> = {
  name: 'location',
  run(ctx) {
    const { services, ruri } = ctx;
    if (!ruri || !services.isLocalHost(ruri.host)) return 'continue';
    if (!ruri.user) {
      services.reply(ctx, 404, 'Not Found');
      return 'handled';
    }
    const decision = services.locate(ruri.user, ctx.req.method);
    return decision instanceof Promise ? decision.then((d) => apply(ctx, d)) : apply(ctx, decision);
  },
};

function apply(ctx: RequestContext<Uses>, decision: RouteDecision): 'handled' {
  const { services } = ctx;
  switch (decision.kind) {
      case 'reply':
        services.reply(ctx, decision.status, decision.reason, decision.headers);
        return 'handled';
      case 'redirect':
        services.reply(ctx, 302, 'Moved Temporarily', { contact: decision.contacts.map((uri) => ({ uri, params: {} })) });
        return 'handled';
      case 'relay':
        services.relay(ctx, decision.targets, decision.serial);
        return 'handled';
  }
}
