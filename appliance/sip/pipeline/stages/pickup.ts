import { sourceKey } from '../../../../system/store/source-key.ts';
import { choosePickup, pickupCode, type RingingCall } from '../../events/pickup-rules.ts';
import type { Stage } from '../context.ts';
import type { LocalAddresses, OfficeEvents, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Replies & LocalAddresses & OfficeEvents;

/**
 * Call pickup (docs/PBX.md "Call pickup"): an authenticated extension's INVITE to `**202`
 * (directed) or `*8` (group) takes the call ringing there. The appliance does it in the
 * proxy: the picker's own INVITE is answered `480 Picked Up` at once (it carries no dialog to
 * join: a proxy cannot connect two callers), and the ringing call's fork, on whichever worker
 * holds it, cancels its branches and rings the picker's phone (sip-service.ts `pickup`).
 * With nothing ringing: 480 Nothing To Pick Up.
 */
export const pickup: Stage<Uses> = {
  name: 'pickup',
  run(ctx) {
    const { req, services, ruri } = ctx;
    const events = services.events;
    if (req.method !== 'INVITE' || req.headers.to.params.tag || !events || !ruri?.user || !services.isLocalHost(ruri.host)) return 'continue';
    const code = pickupCode(ruri.user);
    if (!code) return 'continue';
    const picker = ctx.authUser;
    if (!picker) {
      services.reply(ctx, statusFor('forbidden').sip, 'Only extensions may pick up calls');
      return 'handled';
    }
    const candidates = code.kind === 'directed' ? [code.extension] : events.pickupGroup(picker);
    const lamps = candidates === 'all' ? events.lamps.busy() : candidates.map((x) => events.lamps.lamp(x));
    const ringing: RingingCall[] = lamps.flatMap((l) => l.dialogs.map((dialog) => ({ extension: l.extension, dialog })));
    // The picker's own outgoing calls count too: a call it makes is not one it may take.
    ringing.push(...events.lamps.dialogsOf(picker).map((dialog) => ({ extension: picker, dialog })));
    const chosen = choosePickup(picker, ringing);
    const contact = Array.isArray(req.headers.contact) ? req.headers.contact[0]?.uri : undefined;
    if (!chosen || !contact) {
      services.reply(ctx, 480, 'Nothing To Pick Up');
      return 'handled';
    }
    // First the picker's own attempt ends, then its phone rings with the call.
    services.reply(ctx, 480, 'Picked Up');
    events.pickup({
      callId: chosen.dialog.callId, callerTag: chosen.dialog.remoteTag, worker: chosen.dialog.worker,
      picker, contact, source: sourceKey(ctx.source),
    });
    return 'handled';
  },
};
