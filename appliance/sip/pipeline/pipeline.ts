import type { RequestContext, Stage } from './context.ts';
import type { PipelineServices, Replies } from './services.ts';
import { featureCodes } from './stages/feature-codes.ts';
import { voicemailMwi } from './stages/voicemail-mwi.ts';
import { handOff } from './stages/hand-off.ts';
import { auth } from './stages/auth.ts';
import { inDialog } from './stages/in-dialog.ts';
import { flowToken } from './stages/flow-token.ts';
import { local } from './stages/local.ts';
import { location } from './stages/location.ts';
import { maxForwardsAndLoop } from './stages/max-forwards-loop.ts';
import { overload } from './stages/overload.ts';
import { registrar } from './stages/registrar.ts';
import { relay } from './stages/relay.ts';
import { sanity } from './stages/sanity.ts';
import { pickup } from './stages/pickup.ts';
import { subscribe } from './stages/subscribe.ts';
import { transaction } from './stages/transaction.ts';
import { trunkInbound } from './stages/trunk-inbound.ts';
import { trunkOutbound } from './stages/trunk-outbound.ts';
import { statusFor } from '../../../system/errors/index.ts';

/**
 * The request pipeline, in order (like Kamailio's request_route). Each stage either handles
 * the request (replies, relays) or passes it on.
 */
export const REQUEST_PIPELINE: readonly Stage<PipelineServices>[] = [
  sanity,
  maxForwardsAndLoop,
  overload,
  transaction,
  inDialog,
  flowToken,
  local,
  handOff,
  trunkInbound,
  auth,
  registrar,
  subscribe,
  pickup,
  featureCodes,
  voicemailMwi,
  trunkOutbound,
  location,
  relay,
];

/**
 * Runs the stages (REQUEST_PIPELINE, with every part) until one handles the request; stays
 * synchronous while stages are.
 */
export function runPipeline<S extends Replies>(ctx: RequestContext<S>, stages: readonly Stage<S>[], from = 0): void | Promise<void> {
  for (let i = from; i < stages.length; i++) {
    const r = stages[i].run(ctx);
    if (r instanceof Promise) {
      return r.then((res) => (res === 'continue' ? runPipeline(ctx, stages, i + 1) : undefined));
    }
    if (r === 'handled') return;
  }
  // Every request is handled by the last stage; reaching here is a bug, answered cleanly.
  ctx.services.reply(ctx, statusFor('internal').sip, 'No stage handled the request');
}
