import { featureCode } from '../../pbx/feature-code.ts';
import type { RequestContext, Stage } from '../context.ts';
import type { Configuration, FeatureCodes, LocalAddresses, Replies } from '../services.ts';
import { statusFor } from '../../../../system/errors/index.ts';

/** The parts of the SIP side this stage uses (services.ts). */
type Uses = Configuration & Replies & LocalAddresses & FeatureCodes;

/**
 * Feature codes (issue 15, docs/PBX.md "Feature codes"): a new INVITE of an authenticated
 * extension to a code of our domain (`*72204`, `*73`, `*78`, `*79`) changes that extension's
 * own forwarding or do-not-disturb, and is answered at once with a final response whose
 * reason phrase (and a Warning, RFC 3261 §20.43, code 399) says what was done:
 * 603 when done, 484 for `*72` without a number, 403/404 when refused.
 *
 * Why a final non-2xx and not 200 then BYE: a 2xx to an INVITE makes a dialog and must carry
 * the SDP answer to the INVITE's offer (RFC 3264 §5; or an offer of ours when it had none,
 * RFC 3261 §13.3.1.4), so we would have to act as a media endpoint (rejecting every stream
 * with port 0, §6) and then tear the dialog down with a BYE of our own, for no media at
 * all. A final response ends the transaction with the caller's ACK and creates nothing. 603
 * (§21.6.2) because the request reached its destination, the appliance, which took the
 * instruction but takes part in no session: a 6xx is definitive, so no phone or upstream
 * proxy tries the code elsewhere, and no 4xx with a retry meaning (401/407/422/423/480/486
 * with Retry-After) is misused.
 */
export const featureCodes: Stage<Uses> = {
  name: 'feature-codes',
  run(ctx) {
    const { req, services, ruri } = ctx;
    const control = services.featureCodes;
    if (!control || req.method !== 'INVITE' || req.headers.to.params.tag || !ruri?.user || !services.isLocalHost(ruri.host)) return 'continue';
    const action = featureCode(ruri.user, control.codes);
    if (!action) return 'continue';
    // Only a phone's own extension can be changed: a trusted gateway has none.
    if (!ctx.authUser) return answer(ctx, statusFor('forbidden').sip, 'Feature codes need an extension\'s login');
    if (action.kind === 'incomplete') return answer(ctx, 484, 'Address Incomplete: dial the code and the number');
    const r = control.apply(ctx.authUser, action);
    return answer(ctx, r.ok ? 603 : r.status, r.text);
  },
};

function answer(ctx: RequestContext<Uses>, status: number, text: string): 'handled' {
  // A reason phrase is TEXT-UTF8 on one line (RFC 3261 §25.1): no control characters, and short for a phone's display.
  const phrase = text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 80);
  // The warn-text is a quoted-string (§20.43, §25.1): `"` and `\` as quoted-pairs.
  ctx.services.reply(ctx, status, phrase, { warning: `399 ${ctx.services.settings.domain} "${phrase.replace(/["\\]/g, '\\$&')}"` });
  return 'handled';
}
