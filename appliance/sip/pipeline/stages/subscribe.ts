import { randomBytes } from 'node:crypto';
import { sourceKey } from '../../../../system/store/source-key.ts';
import { decideSubscribe, eventPackage } from '../../events/subscribe-rules.ts';
import { parseSipUri, uriHost } from '../../message/uri.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { Configuration, EventLogging, Extensions, LocalAddresses, OfficeEvents, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & LocalAddresses & Extensions & OfficeEvents & EventLogging;

/**
 * The notifier's front (RFC 6665 §4.2.1): a SUBSCRIBE for `dialog` (busy lamps, RFC 4235) or
 * `presence` (RFC 3856) to one of our extensions, authenticated by the auth stage, is decided
 * by the pure `decideSubscribe` (package, Expires bounds, Accept, the per-phone limit, the
 * subscription an in-dialog one names), kept in the store and answered 200 (§4.2.1: 202 is
 * deprecated); the notifier (events/notifier.ts, one worker) then sends the NOTIFYs. Other
 * packages (message-summary, ...) pass on to the location stage as before.
 */
export const subscribe: Stage<Uses> = {
  name: 'subscribe',
  run(ctx) {
    const { req, services, ruri } = ctx;
    const events = services.events;
    if (req.method !== 'SUBSCRIBE' || !events || !ruri || !services.isLocalHost(ruri.host)) return 'continue';
    const pkg = eventPackage(req.headers.event);
    if (!pkg) return 'continue';
    // Only our extensions watch our extensions: a trusted gateway has no extension to be.
    if (!ctx.authUser) return refuse(ctx, statusFor('forbidden').sip, 'Only extensions may subscribe');
    const contact = Array.isArray(req.headers.contact) ? req.headers.contact[0] : undefined;
    // RFC 6665 §4.1.2.1: a SUBSCRIBE carries one Contact (where the NOTIFYs go).
    if (!contact || !parseSipUri(contact.uri) || contact.uri.length > 512) return refuse(ctx, statusFor('malformed-message').sip, 'Missing or bad Contact');
    const callId = String(req.headers['call-id']);
    const remoteTag = String(req.headers.from.params.tag ?? '');
    if (!remoteTag) return refuse(ctx, statusFor('malformed-message').sip, 'Missing From tag');
    const toTag = req.headers.to.params.tag ?? undefined;
    const localTag = toTag ?? services.toTag(req);
    const subs = events.subscriptions;
    const existing = subs.findByDialog(callId, remoteTag, localTag, pkg.event);
    const target = ruri.user && services.extension(ruri.user) ? ruri.user : undefined;
    const now = Date.now();
    const decision = decideSubscribe({
      event: pkg.event, expiresHeader: req.headers.expires === undefined ? undefined : String(req.headers.expires),
      accept: req.headers.accept === undefined ? undefined : String(req.headers.accept),
      existing, inDialog: toTag !== undefined, subscriber: ctx.authUser, target: existing?.target ?? target,
      held: subs.countBySubscriber(ctx.authUser, now),
    });
    if (decision.kind === 'reject') return refuse(ctx, decision.status, decision.reason, decision.headers);
    const expires = decision.kind === 'end' ? 0 : decision.expires;
    const source = sourceKey(ctx.source);
    let id: string;
    if (existing) {
      // A refresh, an unsubscribe, or an initial SUBSCRIBE sent again with its dialog's identifiers.
      id = existing.id;
      subs.refresh(id, now + expires * 1000, contact.uri, source);
    } else {
      id = randomBytes(12).toString('hex');
      subs.add({
        id, event: pkg.event, eventId: pkg.id, subscriber: ctx.authUser, target: target!, callId, remoteTag, localTag,
        contact: contact.uri, source, expiresAt: now + expires * 1000, notifies: 0, createdAt: now,
      });
    }
    const advertise = uriHost(services.settings.advertise);
    const transport = ctx.source.transport === 'udp' ? '' : `;transport=${ctx.source.transport}`;
    const port = ctx.source.transport === 'tls' ? services.settings.tlsPort ?? services.settings.port : services.settings.port;
    services.reply(ctx, 200, 'OK', { expires: String(expires), contact: [{ uri: `sip:${existing?.target ?? target}@${advertise}:${port}${transport}`, params: {} }] });
    services.log('sip.subscription', `${ctx.authUser} ${expires === 0 ? 'ended' : existing ? 'refreshed' : 'subscribed to'} ${pkg.event} of ${existing?.target ?? target}`, { id, expires });
    events.changed(id);
    return 'handled';
  },
};

function refuse(ctx: RequestContext<Uses>, status: number, reason: string, headers?: Record<string, string>): 'handled' {
  ctx.services.reply(ctx, status, reason, headers);
  return 'handled';
}
