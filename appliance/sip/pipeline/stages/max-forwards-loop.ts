import { isLoop } from '../../proxy/branch.ts';
import type { Stage } from '../context.ts';
import type { LocalAddresses, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & LocalAddresses;

/**
 * Max-Forwards (RFC 3261 §16.3 step 3: 0 → 483, except OPTIONS to us, which we answer) and
 * loop detection (§16.3 step 4: one of our Vias with this request's loop hash → 482).
 */
export const maxForwardsAndLoop: Stage<Uses> = {
  name: 'max-forwards-loop',
  run(ctx) {
    const { req, services } = ctx;
    if (req.method === 'ACK') return 'continue';
    const mf = req.headers['max-forwards'];
    if (mf !== undefined && Number(mf) === 0) {
      const toUs = !ctx.ruri?.user && ctx.ruri && services.isLocalHost(ctx.ruri.host);
      if (req.method === 'OPTIONS' && toUs) return 'continue';
      services.reply(ctx, statusFor('too-many-hops').sip, 'Too Many Hops');
      return 'handled';
    }
    if (req.headers.via.length > 1 && isLoop(req, services.isUs)) {
      services.reply(ctx, statusFor('loop-detected').sip, 'Loop Detected');
      return 'handled';
    }
    return 'continue';
  },
};
