import { parseSipUri } from '../../message/uri.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { AbuseReporting, Authentication, Configuration, Extensions, LocalAddresses, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & LocalAddresses & Extensions & Authentication & AbuseReporting;

/**
 * Digest authentication and relay policy (RFC 3261 §22). Everything from an untrusted source
 * is challenged (REGISTER with 401, other requests with 407), also a stranger calling one of
 * our users: anonymous inbound is off by default (`[security] anonymous_inbound`), and the
 * answer is the same challenge whether the extension exists, is registered or not (no
 * enumeration, issue 10). The authenticated user must be the one named in From (To for
 * REGISTER). A request from outside our domain to outside it is never relayed (403). Trusted
 * sources (gateways, trunks) skip digest. Wrong passwords count towards a ban.
 */
export const auth: Stage<Uses> = {
  name: 'auth',
  run(ctx) {
    const { req, services } = ctx;
    if (req.method === 'ACK' || req.method === 'CANCEL') return 'continue';
    const toOurs = !!ctx.ruri && services.isLocalHost(ctx.ruri.host);

    if (req.method === 'REGISTER') {
      if (!toOurs) return reject(ctx, statusFor('forbidden').sip, 'Not our domain');
      return ctx.trusted ? 'continue' : challengeOrPass(ctx, false, userOf(req.headers.to.uri));
    }
    if (ctx.trusted) return 'continue';
    // A call a trunk's provider sent, for a number it has (trunk-inbound.ts): trusted for that.
    if (ctx.trunkCall?.direction === 'inbound') return 'continue';

    const from = parseSipUri(req.headers.from.uri);
    const fromOurs = !!from && services.isLocalHost(from.host);
    if (fromOurs || (toOurs && !services.settings.anonymousInbound)) return challengeOrPass(ctx, true, from?.user);
    if (!toOurs) return reject(ctx, statusFor('forbidden').sip, 'Relaying Denied'); // no open relay
    // Anonymous inbound allowed by the admin: a stranger may call in, asserting nothing (RFC 3325 §9.1).
    stripAssertedIdentity(ctx);
    return 'continue';
  },
};

function challengeOrPass(ctx: RequestContext<Uses>, proxy: boolean, claimedUser: string | undefined): 'continue' | 'handled' {
  const { services, req, source } = ctx;
  const outcome = services.auth.check(req, proxy, source.address);
  if (outcome.kind === 'challenge') {
    const header = proxy ? 'proxy-authenticate' : 'www-authenticate';
    services.reply(ctx, proxy ? 407 : 401, proxy ? 'Proxy Authentication Required' : 'Unauthorized', {
      [header]: services.auth.challenge(outcome.stale, source.address, { user: claimedUser, agent: String(req.headers['user-agent'] ?? '') }),
    });
    return 'handled';
  }
  if (outcome.kind === 'forbidden') {
    if (outcome.failure) services.guard.failed(source, outcome.reason, userOf(req.headers[proxy ? 'from' : 'to'].uri));
    return reject(ctx, outcome.status, outcome.reason);
  }
  if (claimedUser !== outcome.user) return reject(ctx, statusFor('forbidden').sip, 'Credentials do not match the identity');
  ctx.authUser = outcome.user;
  ctx.authExtension = outcome.extension;
  if (proxy) {
    services.auth.consume(req);
    assertIdentity(ctx, outcome.user);
  }
  return 'continue';
}

/**
 * The caller ID the callee sees comes from the authenticated identity only (RFC 3325 §9.1):
 * what the phone wrote in P-Asserted-Identity or Remote-Party-ID is removed, ours is added.
 */
function assertIdentity(ctx: RequestContext<Uses>, user: string): void {
  stripAssertedIdentity(ctx);
  const ext = ctx.authExtension?.number === user ? ctx.authExtension : ctx.services.extension(user);
  const name = (ext?.displayName ?? '').replace(/["\\\r\n]/g, '');
  ctx.req.headers['p-asserted-identity'] = `${name ? `"${name}" ` : ''}<sip:${user}@${ctx.services.settings.domain}>`;
}

function stripAssertedIdentity(ctx: RequestContext<Uses>): void {
  delete ctx.req.headers['p-asserted-identity'];
  delete ctx.req.headers['remote-party-id'];
  delete ctx.req.headers['p-preferred-identity'];
}

function reject(ctx: RequestContext<Uses>, status: number, reason: string): 'handled' {
  ctx.services.reply(ctx, status, reason);
  return 'handled';
}

function userOf(uri: string): string | undefined {
  return parseSipUri(uri)?.user;
}
