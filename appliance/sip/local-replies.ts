import { buildResponse, encodeMessage } from './message/encode.ts';
import { localToTag } from './message/local-tag.ts';
import type { SipRequest, SipResponse, Source } from './message/types.ts';
import { responseTarget } from './message/via.ts';
import type { RequestState } from './pipeline/context.ts';
import type { Replies } from './pipeline/services.ts';
import type { DialogReporter } from './dialog-reporter.ts';
import type { SipCounters } from './sip-counters.ts';
import type { Destination } from './transport/transport.ts';

/** Sends a response without a transaction (a request's stateless reply, a bad request's 400). */
export type StatelessSend = (req: SipRequest, source: Source, res: SipResponse) => void;

/**
 * A response sent without a transaction, to the packet's source (RFC 3261 §18.2.2 with
 * rport, RFC 3581), from the shared port.
 */
export function statelessSend(send: (dest: Destination, data: Buffer, fromShared?: boolean) => void): StatelessSend {
  return (req, source, res) => {
    const via = req.headers.via?.[0];
    if (!via) return;
    // To the packet's source address, never to a host the client named (reflection, issue 10).
    const dest: Destination = source.transport !== 'udp'
      ? { transport: source.transport, address: source.address, port: source.port, connection: source.connection }
      : { transport: 'udp', address: source.address, port: 'rport' in via.params ? source.port : responseTarget(via).port };
    send(dest, encodeMessage(res), true);
  };
}

/** What our own responses need: the counters, the dialog reporter (call records), the stateless send. */
export interface LocalRepliesDeps {
  readonly counters: SipCounters;
  readonly reports: Pick<DialogReporter, 'response'>;
  readonly sendStateless: StatelessSend;
}

/**
 * The `Replies` part (pipeline/services.ts): the responses we generate ourselves (RFC 3261
 * §8.2.6, §16.7 step 10 for a proxy), in the server transaction when there is one, else
 * statelessly to the packet's source.
 */
export function localReplies(deps: LocalRepliesDeps): Replies {
  const { counters, reports, sendStateless } = deps;
  return {
    reply(ctx: RequestState, status: number, reason?: string, headers: Record<string, unknown> = {}): void {
      // The To tag is hashed only when buildResponse adds it (a final or 1xx other than 100, no tag yet).
      const to = ctx.req.headers.to;
      const res = buildResponse(ctx.req, status, reason, headers, status > 100 && to && !to.params.tag ? localToTag(ctx.req) : undefined);
      counters.reply(status, ctx.req.method);
      // A call we refused ourselves is a call record too (404, 480, 403, ...), but only for a
      // caller we know: a stranger's INVITEs would fill the store. Our own 503s are load
      // shedding, counted in the reports rather than written row by row under overload.
      if (status >= 300 && status !== 503 && (ctx.authUser || ctx.trusted || ctx.trunkCall)) reports.response(ctx, res);
      const st = ctx.st;
      // A final error to an INVITE from an unauthenticated source goes statelessly: an INVITE
      // server transaction would retransmit it until an ACK (Timer G), 11 times over 32 s, for
      // one packet a stranger sent (amplification, issue 10). A retransmitted INVITE is answered anew.
      if (st && status >= 300 && st.isInvite && !ctx.authUser && !ctx.trusted) {
        st.terminate();
        ctx.st = undefined;
      }
      if (ctx.st) ctx.st.respond(res);
      else sendStateless(ctx.req, ctx.source, res);
    },
    /** Deterministic To tag for responses we generate, the same on every worker (stateless replies). */
    toTag: localToTag,
  };
}
