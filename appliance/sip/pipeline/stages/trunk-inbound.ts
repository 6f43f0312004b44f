import { parseSipUri } from '../../message/uri.ts';
import type { Stage } from '../context.ts';
import type { Configuration, EventLogging, Replies, Trunks } from '../services.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & Trunks & EventLogging;

/**
 * Calls from a SIP provider (issue 14 inbound): a new INVITE from the addresses of a trunk's
 * registrar is trusted for that trunk only (it skips digest, nothing else), and the number it
 * names (To, else the Request-URI user: providers put the dialled number in either) picks the
 * extension by `[[inbound]]`; a number no entry names is 404, never relayed anywhere.
 */
export const trunkInbound: Stage<Uses> = {
  name: 'trunk-inbound',
  run(ctx) {
    const { req, services } = ctx;
    const trunks = services.trunks;
    if (!trunks || req.method !== 'INVITE' || req.headers.to.params.tag) return 'continue';
    const trunk = trunks.trunkAt(ctx.source.address);
    if (!trunk) return 'continue';
    const extension = trunks.inbound(trunk, [parseSipUri(req.headers.to.uri)?.user, ctx.ruri?.user]);
    if (!extension) {
      services.log('trunk.inbound.unknown', `call on trunk ${trunk} for a number no [[inbound]] entry names: 404`, { trunk, to: req.headers.to.uri });
      services.reply(ctx, 404, 'Not Found');
      return 'handled';
    }
    ctx.ruri = parseSipUri(`sip:${extension}@${services.settings.domain}`);
    ctx.trunkCall = { trunk, direction: 'inbound', routedTo: extension };
    return 'continue';
  },
};
