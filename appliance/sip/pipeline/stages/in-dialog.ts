import { isLocalToTag } from '../../message/local-tag.ts';
import { parseSipUri, type SipUri } from '../../message/uri.ts';
import { DIALOG_TOKEN_PARAM } from '../../security/dialog-token.ts';
import { isFlowToken } from '../../security/flow-token.ts';
import type { Target } from '../../proxy/targets.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { AbuseReporting, DialogAuthentication, LocalAddresses, OfficeEvents, Relay, Replies, TargetResolution, Trunks } from '../services.ts';
import { eventPackage } from '../../events/subscribe-rules.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & Relay & TargetResolution & LocalAddresses & DialogAuthentication & AbuseReporting & Trunks & OfficeEvents;

/**
 * Route processing (RFC 3261 §16.4) and in-dialog requests. If the Request-URI is a Route we
 * put in Record-Route, the previous hop was a strict router: restore the R-URI from the last
 * Route. Our own entry on top of Route is removed. A request with a To tag (in a dialog) is
 * then relayed by the route set, but only when the Route we popped carries a valid dialog
 * token (security/dialog-token.ts): this stage runs before auth, so a forged To tag and
 * Route must not buy a stranger a relay (issue 10). ACK for a 2xx goes statelessly, others
 * statefully.
 */
export const inDialog: Stage<Uses> = {
  name: 'in-dialog',
  run(ctx) {
    const { req, services } = ctx;
    const routes = req.headers.route;
    let ours: SipUri | undefined;
    if (routes && routes.length > 0) {
      // §16.4: strict-router previous hop: the R-URI is our Record-Route URI.
      if (ctx.ruri && !ctx.ruri.user && services.isUs(ctx.ruri.host, ctx.ruri.port) && 'lr' in ctx.ruri.params) {
        ours = ctx.ruri;
        const last = routes.pop()!;
        req.uri = String(last.uri);
        ctx.ruri = parseSipUri(req.uri);
      }
      // Our entries on top: one, or two where we doubled Record-Route because the transport
      // changed between the legs (RFC 5658 §4); both are ours and both come off.
      for (let i = 0; i < 2 && routes.length > 0; i++) {
        const top = parseSipUri(String(routes[0].uri));
        if (!top || !services.isUs(top.host, top.port)) break;
        routes.shift();
        ours = top;
        // A peer's Route to a flow we hold carries its token as user part (stages/flow-token.ts).
        if (isFlowToken(top.user)) ctx.flowToken = top.user;
      }
      if (routes.length === 0) delete req.headers.route;
    }
    const toTag = req.headers.to.params.tag;
    if (!toTag) {
      // An ACK that matched no transaction and names no dialog belongs to nothing (§17.2.1).
      return req.method === 'ACK' ? 'handled' : 'continue';
    }
    // The ACK for a final response we sent ourselves: a 407 to an INVITE goes statelessly, so
    // no transaction absorbs its ACK (§17.2.1); it carries our To tag and, from a phone with an
    // outbound proxy, a Route to us without a dialog token. Absorbed, and not a forgery: it was
    // counted as one, and five calls in 300 s banned the phone (baresip, linphonec).
    if (req.method === 'ACK' && isLocalToTag(String(toTag), req)) return 'handled';
    // A refresh or unsubscribe of a subscription we are the notifier of (stages/subscribe.ts):
    // addressed to our Contact, authenticated and checked against the store further on.
    if (req.method === 'SUBSCRIBE' && !req.headers.route && services.events && ctx.ruri && services.isLocalHost(ctx.ruri.host) && eventPackage(req.headers.event)) return 'continue';
    // In a dialog: only requests that came through our Record-Route are ours to relay.
    if (!ours) return refuse(ctx, 481, 'Call/Transaction Does Not Exist');
    const token = ours.params[DIALOG_TOKEN_PARAM] ?? undefined;
    if (!services.dialogTokens.verify(token, String(req.headers['call-id']), req.headers.from.params.tag ?? undefined, toTag)) {
      services.guard.failed(ctx.source, 'forged in-dialog request');
      return refuse(ctx, statusFor('forbidden').sip, 'Not a dialog of ours');
    }
    const next = req.headers.route?.[0] ? parseSipUri(String(req.headers.route[0].uri)) : ctx.ruri;
    if (!next) return refuse(ctx, statusFor('malformed-message').sip, 'Cannot route');
    const target = services.resolveUri(next);
    return target instanceof Promise ? target.then((t) => send(ctx, t)) : send(ctx, target);
  },
};

/** Answers statelessly (nothing to answer to an ACK, §17). */
function refuse(ctx: RequestContext<Uses>, status: number, reason: string): 'handled' {
  if (ctx.req.method !== 'ACK') ctx.services.reply(ctx, status, reason);
  return 'handled';
}

function send(ctx: RequestContext<Uses>, target: Target | undefined): 'handled' {
  const { req, services } = ctx;
  if (!target) return refuse(ctx, 404, 'Not Found');
  // Towards a trunk's provider (a re-INVITE or BYE of an outside call): its challenge is
  // answered with the trunk account as on the INVITE (RFC 3261 §22.3, proxy/upstream-auth.ts),
  // and over TLS its certificate is checked as the trunk's.
  const hop = services.trunks?.nextHopAt(target.dest.address);
  const authorize = req.method === 'ACK' ? undefined : hop?.authorize;
  const dest = hop && target.dest.transport === 'tls' ? { ...target.dest, trust: hop.trust } : target.dest;
  const t = { ...target, uri: req.uri, dest, ...(authorize ? { authorize } : {}) };
  if (req.method === 'ACK') services.relayStateless(ctx, t);
  else services.relay(ctx, [t]);
  return 'handled';
}
