import type { Stage } from '../context.ts';
import type { LocalAddresses, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & LocalAddresses;

/** Methods the appliance itself answers or routes (Allow header, RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, PRACK, REFER, MESSAGE, SUBSCRIBE, NOTIFY';

/**
 * Requests addressed to the appliance itself (R-URI without a user part, one of our hosts):
 * OPTIONS gets 200 (RFC 3261 §11.2); REGISTER goes on to the registrar; other methods get
 * 405 for known ones and 501 for unknown ones (§8.2.1).
 */
export const local: Stage<Uses> = {
  name: 'local',
  run(ctx) {
    const { req, services, ruri } = ctx;
    if (!ruri || ruri.user || !services.isLocalHost(ruri.host)) return 'continue';
    if (req.method === 'REGISTER' || req.method === 'ACK') return 'continue';
    if (req.method === 'OPTIONS') {
      services.reply(ctx, 200, 'OK', { allow: ALLOW, accept: 'application/sdp', supported: 'path' });
      return 'handled';
    }
    const known = ALLOW.split(', ').includes(req.method);
    services.reply(ctx, statusFor(known ? 'method-not-allowed' : 'method-not-implemented').sip, known ? 'Method Not Allowed' : 'Not Implemented', { allow: ALLOW });
    return 'handled';
  },
};
