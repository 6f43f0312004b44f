import type { OutsideCallRoute, RequestContext, Stage } from '../context.ts';
import type { EventLogging, Extensions, LocalAddresses, Relay, Replies, Trunks } from '../services.ts';
import type { Target } from '../../proxy/targets.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & Relay & LocalAddresses & Extensions & Trunks & EventLogging;

/**
 * Calls to the outside (issue 14): a new INVITE of an authenticated extension for a number of
 * our domain that the dial plan routes to a trunk (`[[routes]]`, first match; an emergency
 * number always to `[emergency] trunk`) is relayed to the trunk's registrar with the number
 * the route makes, our caller ID in P-Asserted-Identity (RFC 3325), and the trunk account's
 * credentials for the provider's challenge (proxy/upstream-auth.ts). Refused with 403 and a
 * reason: a class the extension may not call, or beyond its limits; with 503: a trunk whose
 * registration failed. Emergency calls are never refused for class, limits or a down trunk.
 * A route's `failover` trunks are tried in order (trunk-directory.ts); the call record names
 * the trunk the call took.
 */
export const trunkOutbound: Stage<Uses> = {
  name: 'trunk-outbound',
  run(ctx) {
    const { req, services, ruri } = ctx;
    const trunks = services.trunks;
    if (!trunks || req.method !== 'INVITE' || req.headers.to.params.tag || !ruri?.user || !services.isLocalHost(ruri.host)) return 'continue';
    if (!ctx.authUser) return 'continue';
    const route = trunks.route(ruri.user);
    if (!route) return 'continue';
    const emergency = route.class === 'emergency';
    // An extension of that number is called, not the outside (emergency numbers cannot be extensions).
    if (!emergency && services.extension(ruri.user)) return 'continue';
    const caller = services.extension(ctx.authUser);
    if (!caller) return 'continue';
    if (!emergency) {
      const refusal = trunks.refusal(caller, route);
      if (refusal) {
        services.log('trunk.refused', `extension ${caller.number} calling ${ruri.user}: ${refusal}`, { extension: caller.number, dialled: ruri.user, route: route.route });
        services.reply(ctx, statusFor('forbidden').sip, refusal);
        return 'handled';
      }
      // Every trunk of the route down (registration failed, or its provider silent): 503 at once.
      if ([route.trunk, ...route.failover].every((name) => trunks.isDown(name))) {
        services.reply(ctx, statusFor('unavailable').sip, 'Trunk Unavailable', { 'retry-after': '30' });
        return 'handled';
      }
    } else {
      services.log('trunk.emergency', `emergency call from extension ${caller.number} to ${ruri.user} over trunk ${route.trunk}`, { extension: caller.number, dialled: ruri.user });
    }
    // The identity towards the provider is ours to assert (RFC 3325 §9.1), per trunk (the targets carry it).
    delete (req.headers as Record<string, unknown>)['p-asserted-identity'];
    ctx.trunkCall = { trunk: route.trunk, direction: emergency ? 'emergency' : 'outbound', routedTo: route.number };
    const onTrunk = (trunk: string) => {
      services.log('trunk.failover', `call from extension ${caller.number} to ${ruri.user}: over trunk ${trunk} instead of ${route.trunk}`, { extension: caller.number, route: route.route, trunk, instead: route.trunk });
      ctx.trunkCall = { ...ctx.trunkCall!, trunk };
    };
    return trunks.target(route, caller, onTrunk).then((t) => {
      // It leaves: it counts against the caller's limits until its call record exists.
      if (t && !emergency) trunks.placed(String(req.headers['call-id']), caller.number);
      return send(ctx, t, route);
    });
  },
};

function send(ctx: RequestContext<Uses>, target: Target | undefined, route: OutsideCallRoute): 'handled' {
  if (!target) {
    // Nothing to send to (the registrar's name does not resolve): unavailable, not a timeout.
    ctx.services.log('trunk.unreachable', `trunk ${route.trunk}: its registrar does not resolve`, { trunk: route.trunk });
    ctx.services.reply(ctx, statusFor('unavailable').sip, 'Trunk Unavailable', { 'retry-after': '30' });
    return 'handled';
  }
  ctx.services.relay(ctx, [target]);
  return 'handled';
}
