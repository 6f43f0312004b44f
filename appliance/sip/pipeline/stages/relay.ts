import type { Target } from '../../proxy/targets.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { Relay, Replies, TargetResolution } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & Relay & TargetResolution;

/**
 * Requests for other domains (RFC 3261 §16.5-16.6): the auth stage let through only trusted
 * or authenticated senders, so relay to the Request-URI's host (IP literal or DNS name).
 */
export const relay: Stage<Uses> = {
  name: 'relay',
  run(ctx) {
    const { services, ruri } = ctx;
    if (!ruri) {
      services.reply(ctx, statusFor('unsupported-uri-scheme').sip, 'Unsupported URI Scheme');
      return 'handled';
    }
    if (!ctx.trusted && !ctx.authUser) {
      services.reply(ctx, statusFor('forbidden').sip, 'Relaying Denied');
      return 'handled';
    }
    const target = services.resolveUri(ruri);
    return target instanceof Promise ? target.then((t) => send(ctx, t)) : send(ctx, target);
  },
};

function send(ctx: RequestContext<Uses>, target: Target | undefined): 'handled' {
  if (!target) ctx.services.reply(ctx, 404, 'Not Found');
  else ctx.services.relay(ctx, [target]);
  return 'handled';
}
