import type { Target } from '../../proxy/targets.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { LocalAddresses, Relay, Replies, Voicemail } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & Relay & LocalAddresses & Voicemail;

/**
 * Message waiting (RFC 3842): a phone's `SUBSCRIBE` with `Event: message-summary` for its own
 * account (`sip:201@office.lan`) is routed to its voicemail server (the extension's own
 * `voicemailUri`, else `[voicemail] uri`), which is
 * the notifier for the mailboxes. The Request-URI stays the account's (RFC 3842 §4: it names
 * the message account; the server reads the mailbox from it); Record-Route keeps us in the
 * subscription's dialog, so its NOTIFYs reach the phone through the in-dialog stage. The
 * subscriber must be authenticated as that extension: a phone cannot watch another's mailbox
 * (403), nor can a trusted source without an extension.
 */
export const voicemailMwi: Stage<Uses> = {
  name: 'voicemail-mwi',
  run(ctx) {
    const { req, services, ruri } = ctx;
    if (!services.voicemail || req.method !== 'SUBSCRIBE' || req.headers.to.params.tag || !ruri?.user || !services.isLocalHost(ruri.host)) return 'continue';
    // Event: the package name before any parameter (RFC 6665 §8.2.1), case-insensitive.
    if (String(req.headers.event ?? '').split(';')[0].trim().toLowerCase() !== 'message-summary') return 'continue';
    // The mailbox's server: the extension's own, else the office's; none: routed as any SUBSCRIBE.
    const voicemail = services.voicemail(ruri.user);
    if (!voicemail) return 'continue';
    if (!ctx.authUser || ruri.user !== ctx.authUser) return refuse(ctx, 'Only the own mailbox can be watched');
    const t = voicemail();
    return t instanceof Promise ? t.then((x) => send(ctx, x)) : send(ctx, t);
  },
};

function refuse(ctx: RequestContext<Uses>, reason: string): 'handled' {
  ctx.services.reply(ctx, statusFor('forbidden').sip, reason);
  return 'handled';
}

function send(ctx: RequestContext<Uses>, target: Target | undefined): 'handled' {
  if (!target) {
    ctx.services.reply(ctx, 480, 'Voicemail Unavailable');
    return 'handled';
  }
  ctx.services.relay(ctx, [{ ...target, uri: ctx.req.uri }]);
  return 'handled';
}
