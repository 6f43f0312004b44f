import { parseSipUri } from '../../message/uri.ts';
import type { Target } from '../../proxy/targets.ts';
import type { RequestContext, Stage } from '../context.ts';

/**
 * Route processing (RFC 3261 §16.4) and in-dialog requests. If the Request-URI is a Route we
 * put in Record-Route, the previous hop was a strict router: restore the R-URI from the last
 * Route. Our own entry on top of Route is removed. A request with a To tag (in a dialog) is
 * then relayed by the route set: ACK for a 2xx statelessly, others statefully.
 */
export const inDialog: Stage = {
  name: 'in-dialog',
  run(ctx) {
    const { req, services } = ctx;
    const routes = req.headers.route;
    let poppedOurs = false;
    if (routes && routes.length > 0) {
      // §16.4: strict-router previous hop: the R-URI is our Record-Route URI.
      if (ctx.ruri && !ctx.ruri.user && services.isUs(ctx.ruri.host, ctx.ruri.port) && 'lr' in ctx.ruri.params) {
        const last = routes.pop()!;
        req.uri = String(last.uri);
        ctx.ruri = parseSipUri(req.uri);
        poppedOurs = true;
      }
      const top = routes[0] ? parseSipUri(String(routes[0].uri)) : undefined;
      if (top && services.isUs(top.host, top.port)) {
        routes.shift();
        poppedOurs = true;
      }
      if (routes.length === 0) delete req.headers.route;
    }
    if (!req.headers.to.params.tag) return 'continue';

    // In a dialog: only requests that came through our Record-Route are ours to relay.
    if (!poppedOurs) {
      if (req.method === 'ACK') return 'handled'; // nothing to answer to an ACK (§17)
      services.reply(ctx, 404, 'Not Here');
      return 'handled';
    }
    const next = req.headers.route?.[0] ? parseSipUri(String(req.headers.route[0].uri)) : ctx.ruri;
    if (!next) {
      if (req.method !== 'ACK') services.reply(ctx, 400, 'Cannot route');
      return 'handled';
    }
    const target = services.resolveUri(next);
    return target instanceof Promise ? target.then((t) => send(ctx, t)) : send(ctx, target);
  },
};

function send(ctx: RequestContext, target: Target | undefined): 'handled' {
  const { req, services } = ctx;
  if (!target) {
    if (req.method !== 'ACK') services.reply(ctx, 404, 'Not Found');
    return 'handled';
  }
  const t = { ...target, uri: req.uri };
  if (req.method === 'ACK') services.relayStateless(ctx, t);
  else services.relay(ctx, [t]);
  return 'handled';
}

/** True when the request is inside a dialog (RFC 3261 §12.2: a To tag). */
export function isInDialog(ctx: RequestContext): boolean {
  return !!ctx.req.headers.to.params.tag;
}
