import { inCidrList } from '../../../../system/config/index.ts';
import { parseSipUri } from '../../message/uri.ts';
import type { RequestContext, Stage } from '../context.ts';

/**
 * Digest authentication and relay policy (RFC 3261 §22). REGISTER for our domain is
 * challenged with 401; other requests from our domain with 407; the authenticated user must
 * be the one named in From (or To for REGISTER). Requests from outside our domain may reach
 * our users, but never leave it again: no open relay (403). Trusted sources skip all this.
 */
export const auth: Stage = {
  name: 'auth',
  run(ctx) {
    const { req, services, source } = ctx;
    if (req.method === 'ACK' || req.method === 'CANCEL') return 'continue';
    ctx.trusted = inCidrList(source.address, services.settings.trusted);
    const toOurs = !!ctx.ruri && services.isLocalHost(ctx.ruri.host);

    if (req.method === 'REGISTER') {
      if (!toOurs) return reject(ctx, 403, 'Not our domain');
      if (ctx.trusted) return 'continue';
      return challengeOrPass(ctx, false, userOf(req.headers.to.uri));
    }

    const from = parseSipUri(req.headers.from.uri);
    const fromOurs = !!from && services.isLocalHost(from.host);
    if (ctx.trusted) return 'continue';
    if (fromOurs) return challengeOrPass(ctx, true, from!.user);
    // A stranger may call into the office, but not through it (no open relay).
    return toOurs ? 'continue' : reject(ctx, 403, 'Relaying Denied');
  },
};

function challengeOrPass(ctx: RequestContext, proxy: boolean, claimedUser: string | undefined): 'continue' | 'handled' {
  const { services, req } = ctx;
  const outcome = services.auth.check(req, proxy);
  if (outcome.kind === 'challenge') {
    const header = proxy ? 'proxy-authenticate' : 'www-authenticate';
    services.reply(ctx, proxy ? 407 : 401, proxy ? 'Proxy Authentication Required' : 'Unauthorized', {
      [header]: services.auth.challenge(outcome.stale),
    });
    return 'handled';
  }
  if (outcome.kind === 'forbidden') return reject(ctx, 403, outcome.reason);
  if (claimedUser !== outcome.user) return reject(ctx, 403, 'Credentials do not match the identity');
  ctx.authUser = outcome.user;
  if (proxy) services.auth.consume(req);
  return 'continue';
}

function reject(ctx: RequestContext, status: number, reason: string): 'handled' {
  ctx.services.reply(ctx, status, reason);
  return 'handled';
}

function userOf(uri: string): string | undefined {
  return parseSipUri(uri)?.user;
}
