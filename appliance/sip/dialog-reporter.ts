import type { SipRequest, SipResponse } from './message/types.ts';
import type { RequestState, TrunkRouting } from './pipeline/context.ts';
import type { Target } from './proxy/targets.ts';
import type { ClientTransaction } from './transaction/client-transaction.ts';
import { recordedByPeer } from './call-owner.ts';
import { cseqEventOf, dialogEventOf, type DialogEvent } from './dialog-events.ts';
import { dialogLegs } from './hangup/dialog-legs.ts';
import { recordedLeg, type AnsweringBranch } from './pbx/recorded-leg.ts';

/**
 * Turns what the proxy forwards and what we answer ourselves into dialog events (the calls
 * view, call records, busy lamps: dialog-events.ts), each with its trunk leg; tells the trunks
 * a call of theirs is recorded. Nothing is built while nobody listens.
 */
export class DialogReporter {
  /** Receives dialog starts and ends (forwarded 2xx to INVITE and BYE) for the calls view. */
  sink?: (event: DialogEvent) => void;

  /** `isUs`: whether host:port is ours (a hang-up's legs leave our own Record-Routes out). */
  constructor(private readonly trunks: () => TrunkRouting | undefined, private readonly isUs: (host: string, port: number | undefined) => boolean) {}

  /**
   * The dialog event a response makes, if any; `extension`: whose phone sent it (early, start);
   * `branch`: the client transaction it came on (a forwarded one); `answering`: that branch's
   * outside leg, if any, and the call's trunk leg before outside legs left (pbx/recorded-leg.ts);
   * `heard`: false for a final response we made after no response at all from the next hop.
   */
  response(ctx: RequestState, res: SipResponse, extension?: string, branch?: ClientTransaction, answering?: AnsweringBranch, heard = true): void {
    if (!this.sink) return;
    let event = dialogEventOf(ctx.req, res, Date.now(), ctx.st?.createdAt);
    if (!event) return;
    // Whose phone answered or rings (busy lamps, sip/events/lamp-board.ts).
    if (extension && event.kind === 'early') event = { ...event, callee: extension };
    else if (extension && event.kind === 'start') event = { ...event, answeredBy: extension };
    // What a hang-up from the UI needs, seen only here (sip/hangup/dialog-legs.ts).
    const legs = event.kind === 'start' && branch ? dialogLegs(ctx.req, branch.request, res, ctx.source, branch.dest, this.isUs) : undefined;
    if (legs && event.kind === 'start') event = { ...event, legs, cseq: ctx.req.headers.cseq.seq };
    // A call another member of the group records (a flow we hold, a hand-off): dialog-events.ts `transit`.
    if ((event.kind === 'start' || event.kind === 'failed') && recordedByPeer(ctx, heard)) event = { ...event, transit: true };
    const leg = answering ? recordedLeg(ctx.trunkCall, answering) : ctx.trunkCall;
    if (!leg || (event.kind !== 'start' && event.kind !== 'failed')) return this.sink(event);
    this.trunks()?.recorded(event.callId);
    this.sink({ ...event, trunk: leg.trunk, direction: leg.direction, routedTo: leg.routedTo, ...(leg.forwardedBy ? { forwardedBy: leg.forwardedBy } : {}) });
  }

  /** An in-dialog request moves its sender's CSeq: a hang-up's BYE must go above it (sip/hangup/). */
  inDialog(req: SipRequest): void {
    if (!this.sink) return;
    const moved = cseqEventOf(req);
    if (moved) this.sink(moved);
  }

  /** RFC 4235 `trying` for the extensions an INVITE now rings (the lamps light before any 1xx). */
  trying(ctx: RequestState, targets: readonly Target[]): void {
    if (!this.sink) return;
    const { req } = ctx;
    const callees = [...new Set(targets.flatMap((t) => (t.extension ? [t.extension] : [])))];
    this.sink({ kind: 'trying', callId: req.headers['call-id'], tags: [String(req.headers.from.params.tag ?? ''), ''], from: req.headers.from.uri, to: req.headers.to.uri, ts: Date.now(), callees });
  }
}
