import { parseSipUri } from '../../message/uri.ts';
import type { Stage } from '../context.ts';
import type { Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies;

/** Option tags this appliance supports (RFC 3261 §19.2); everything else in Proxy-Require fails. */
export const SUPPORTED_OPTIONS = new Set(['path', 'outbound']);

/**
 * Sanity (RFC 3261 §16.3): the decoder already rejected broken syntax; here the Request-URI
 * is parsed for routing and Proxy-Require is checked (420 with Unsupported, §16.3 step 5).
 */
export const sanity: Stage<Uses> = {
  name: 'sanity',
  run(ctx) {
    const { req, services } = ctx;
    if (req.uri.startsWith('sip:') || req.uri.startsWith('sips:')) {
      ctx.ruri = parseSipUri(req.uri);
      if (!ctx.ruri) {
        services.reply(ctx, statusFor('malformed-message').sip, 'Malformed Request-URI');
        return 'handled';
      }
    }
    const proxyRequire = req.headers['proxy-require'] as string | undefined;
    if (proxyRequire !== undefined && req.method !== 'ACK' && req.method !== 'CANCEL') {
      const unsupported = proxyRequire.split(',').map((t) => t.trim()).filter((t) => t && !SUPPORTED_OPTIONS.has(t.toLowerCase()));
      if (unsupported.length > 0) {
        services.reply(ctx, statusFor('bad-extension').sip, 'Bad Extension', { unsupported: unsupported.join(', ') });
        return 'handled';
      }
    }
    return 'continue';
  },
};
