import { sourceKey } from '../../../../system/store/source-key.ts';
import { hasSipScheme, parseSipUri, type SipUri } from '../../message/uri.ts';
import { applyRegister, contactsForReply } from '../../registrar/registrar-rules.ts';
import { behindNat } from '../../registrar/nat-detect.ts';
import { registrationEvents } from '../../registrar/registration-events.ts';
import type { Stage } from '../context.ts';
import type { Configuration, EventLogging, Extensions, Flows, LocalAddresses, Registrations, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & LocalAddresses & Extensions & Registrations & EventLogging & Flows;

/**
 * The registrar (RFC 3261 §10.3) for our domain: the AOR is `sip:<extension>@<domain>` from
 * the To header; the decision is the pure `applyRegister`; the location view applies it.
 */
export const registrar: Stage<Uses> = {
  name: 'registrar',
  run(ctx) {
    const { req, services, source } = ctx;
    if (req.method !== 'REGISTER') return 'continue';
    const to = parseSipUri(req.headers.to.uri);
    if (!to) {
      services.reply(ctx, statusFor(to === undefined && !hasSipScheme(req.headers.to.uri) ? 'unsupported-uri-scheme' : 'malformed-message').sip, 'Bad AOR in To');
      return 'handled';
    }
    if (!services.isLocalHost(to.host)) {
      services.reply(ctx, statusFor('forbidden').sip, 'Not our domain');
      return 'handled';
    }
    // The authenticated extension was read a moment ago (stages/auth.ts): not read again.
    if (!to.user || !(ctx.authExtension?.number === to.user || services.extension(to.user))) {
      services.reply(ctx, statusFor('not-found').sip, 'Not Found');
      return 'handled';
    }
    const contacts = req.headers.contact;
    // Parsed once: the NAT test below reads the same URIs.
    const parsed = new Map<string, SipUri>();
    for (const c of contacts === '*' ? [] : contacts ?? []) {
      const uri = parseSipUri(c.uri);
      if (uri) parsed.set(c.uri, uri);
      else {
        services.reply(ctx, statusFor(hasSipScheme(c.uri) ? 'malformed-message' : 'unsupported-uri-scheme').sip, 'Bad Contact');
        return 'handled';
      }
    }
    const now = Date.now();
    const aor = `sip:${to.user}@${services.settings.domain}`;
    const flow = sourceKey(source);
    // A Contact bound to another extension from another flow is not taken over: in-dialog
    // requests to that contact would reach the wrong phone (issue 10). A phone with two lines
    // registers from one flow and may share a contact between them.
    for (const c of contacts === '*' ? [] : contacts ?? []) {
      const held = services.location.bindingForContact(c.uri, now);
      if (held && held.aor !== aor && held.source !== flow) {
        services.reply(ctx, statusFor('forbidden').sip, 'Contact in use by another extension');
        return 'handled';
      }
    }
    const expiresRaw = req.headers.expires as string | undefined;
    if (expiresRaw !== undefined && !/^\d{1,10}$/.test(expiresRaw.trim())) {
      services.reply(ctx, statusFor('malformed-message').sip, 'Bad Expires');
      return 'handled';
    }
    const current = services.location.bindings(aor, now);
    if (contacts === undefined) {
      // A query: list the bindings (§10.2.3).
      services.reply(ctx, 200, 'OK', replyHeaders(contactsForReply(current, now)));
      return 'handled';
    }
    const outcome = applyRegister({
      aor, contacts, expiresHeader: expiresRaw === undefined ? undefined : Number(expiresRaw),
      callId: req.headers['call-id'], cseq: req.headers.cseq.seq,
      source: flow, transport: source.transport,
      userAgent: String(req.headers['user-agent'] ?? '').slice(0, 200), now,
      // Kept with the binding: the phone is reached at `source` anyway; NAT'd UDP ones are pinged.
      behindNat: (contact) => behindNat({ contact, contactUri: parsed.get(contact), via: req.headers.via[0], source }),
      // Over TCP/TLS the phone is reached only on this connection: a peer routes to it through us (issue 19).
      ...(source.transport !== 'udp' ? { heldBy: { member: services.settings.flowMembers.self, token: services.flows.issue(source) } } : {}),
    }, current, services.settings.registrar);
    if (outcome.kind === 'reject') {
      services.reply(ctx, outcome.status, outcome.reason, outcome.headers);
      return 'handled';
    }
    // Acknowledged means durable (issue 12): the 200 goes once the binding is committed, so a
    // crash loses only REGISTERs that were never answered (the phone retransmits them).
    // A retransmission of a REGISTER already processed (by a worker that died since, say) is
    // answered as the original was, once its bindings are sure to be stored; nothing is rewritten.
    const commit = outcome.replayed
      ? (done: (ok: boolean) => void) => services.location.ensureStored(outcome.replayed!, done)
      : (done: (ok: boolean) => void) => services.location.applyLocal(outcome.changes, done);
    commit((committed) => {
      if (committed) {
        services.reply(ctx, 200, 'OK', replyHeaders(contactsForReply(outcome.bindings, now)));
        // New and gone bindings only: refreshes leave the event log alone.
        for (const e of registrationEvents(current, outcome.changes)) services.log(e.kind, e.message, e.details);
      } else services.reply(ctx, statusFor('store-failure').sip, 'Server Internal Error', { 'retry-after': '5' });
    });
    return 'handled';
  },
};

function replyHeaders(contacts: { uri: string; params: Record<string, string> }[]): Record<string, unknown> {
  const date = httpDate(Date.now());
  return contacts.length > 0 ? { contact: contacts, date } : { date };
}

/** The Date header's text (RFC 3261 §20.17, whole seconds), built once per second rather than per 200. */
let dateSecond = NaN;
let dateText = '';
function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
