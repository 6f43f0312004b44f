import type { ActiveCall, EndedCall } from '../../control/calls-view.ts';
import type { TraceEntry } from '../../sip/call-trace.ts';
import type { CallRecord } from '../../../system/store/index.ts';
import { json, intParam } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { notFound } from './extensions-api.ts';
import { ApplianceError } from '../../../system/errors/index.ts';
import { HUNG_UP_BY_ADMIN, type HungUpDialog } from '../../control/call-hangup.ts';

/** How long POST /api/calls/:callId/hangup waits for both BYEs before it answers 202 (under the listener's 30 s idle timeout). */
const HANGUP_REPLY_WAIT_MS = 20_000;

/** One arrow of a ladder diagram. */
export interface LadderStep {
  readonly from: 'caller' | 'appliance' | 'callee';
  readonly to: 'caller' | 'appliance' | 'callee';
  readonly label: string;
  readonly ts: number | null;
  /** The other end's `address:port` (traced steps only). */
  readonly peer?: string;
  /** The worker that traced it. */
  readonly worker?: number;
  /** The whole message as it crossed the wire, secrets masked (traced steps, while kept: call-trace.ts). */
  readonly raw?: string;
}

/** `GET /api/calls/:callId/ladder`: the call, where its steps come from, a note for people, the arrows in order. */
export interface LadderView {
  readonly call: ActiveCall | EndedCall;
  readonly source: 'trace' | 'reconstructed';
  readonly note: string;
  readonly steps: readonly LadderStep[];
}

/**
 * `POST /api/calls/:callId/hangup` (docs/API.md "Hang-up"): 200 with how each phone answered its
 * BYE, or 202 `pending` while one has not answered yet.
 */
export type HangupReply =
  | { readonly callId: string; readonly pending: true; readonly message: string }
  | { readonly callId: string; readonly pending?: undefined; readonly ms: number; readonly dialogs: readonly HungUpDialog[] };

/**
 * The ladder from the messages the workers traced (appliance/sip/call-trace.ts): the first
 * party to send the INVITE is the caller, every other address a callee lane.
 */
export function ladderFromTrace(entries: readonly TraceEntry[]): LadderStep[] {
  const caller = entries.find((e) => e.dir === 'in' && e.label === 'INVITE')?.peer;
  const lane = (peer: string) => (peer === caller ? 'caller' : 'callee') as 'caller' | 'callee';
  return entries.map((e) => {
    const extra = { peer: e.peer, ...(e.worker !== undefined ? { worker: e.worker } : {}), ...(e.raw !== undefined ? { raw: e.raw } : {}) };
    return e.dir === 'in'
      ? { from: lane(e.peer), to: 'appliance', label: e.label, ts: e.ts, ...extra }
      : { from: 'appliance', to: lane(e.peer), label: e.label, ts: e.ts, ...extra };
  });
}

/**
 * The ladder of a call as far as the calls view knows it, for calls whose trace is gone (the
 * workers keep the last 2,000 calls): the dialog start and, for ended calls, the BYE.
 */
export function reconstructLadder(call: ActiveCall | EndedCall): LadderStep[] {
  const steps: LadderStep[] = [];
  const both = (label: string, ts: number | null, dir: 'down' | 'up', who: 'caller' | 'callee' = 'caller') => {
    const [a, b] = who === 'caller' ? (['caller', 'callee'] as const) : (['callee', 'caller'] as const);
    if (dir === 'down') steps.push({ from: a, to: 'appliance', label, ts }, { from: 'appliance', to: b, label, ts });
    else steps.push({ from: b, to: 'appliance', label, ts }, { from: 'appliance', to: a, label, ts });
  };
  both('INVITE', null, 'down');
  both('200 OK', call.startedAt, 'up');
  both('ACK', null, 'down');
  if ('endedAt' in call && call.reason === HUNG_UP_BY_ADMIN) {
    // The appliance sent both BYEs itself (docs/API.md "Hang-up"), and each phone answered it.
    steps.push({ from: 'appliance', to: 'caller', label: 'BYE', ts: null }, { from: 'appliance', to: 'callee', label: 'BYE', ts: null },
      { from: 'caller', to: 'appliance', label: '200 OK', ts: call.endedAt }, { from: 'callee', to: 'appliance', label: '200 OK', ts: call.endedAt });
  } else if ('endedAt' in call) {
    both('BYE', null, 'down');
    both('200 OK', call.endedAt, 'up');
  }
  return steps;
}

/** A stored call record as the ladder shows it: answered calls only (a failed one has no dialog to draw). */
function fromRecord(r: CallRecord | undefined): EndedCall | undefined {
  if (!r || r.answeredAt === null) return undefined;
  return { callId: r.callId, tags: [r.fromTag, r.toTag ?? ''], from: r.from, to: r.to, startedAt: r.answeredAt, worker: r.worker ?? 0, endedAt: r.endedAt ?? r.answeredAt, ...(r.reason ? { reason: r.reason } : {}) };
}

export function callRoutes({ view, store }: ApiDeps): Route[] {
  const find = (callId: string) =>
    view.activeCalls().find((c) => c.callId === callId) ?? view.recentCalls(500).find((c) => c.callId === callId)
    ?? fromRecord(store.callRecords.byCallId(callId));
  return [
    {
      method: 'GET', path: '/api/calls', handler: ({ url }) => json({
        active: view.activeCalls(),
        recent: view.recentCalls(intParam(url, 'limit', 50, 1, 500)),
      }),
    },
    {
      method: 'GET', path: '/api/calls/:callId/ladder', handler: async ({ params }) => {
        const call = find(params.callId);
        if (!call) throw notFound(`no call with Call-ID ${params.callId}`);
        const trace = await view.callTrace(params.callId);
        const reply: LadderView = trace.length > 0
          ? { call, source: 'trace', note: 'The SIP messages the appliance received and sent for this call.', steps: ladderFromTrace(trace) }
          : {
            call,
            source: 'reconstructed',
            note: 'Reconstructed from the dialog start and end: the message trace of this call is no longer kept.',
            steps: reconstructLadder(call),
          };
        return json(reply);
      },
    },
    {
      // Hang-up (docs/API.md "Hang-up"): the proxy sends BYE to both sides; answered once both
      // BYEs are (a phone that does not answer: Timer F, 32 s). Only a call in progress here.
      method: 'POST', path: '/api/calls/:callId/hangup', handler: async ({ params, client }) => {
        const job = view.hangUp(params.callId, `from ${client}`);
        // The web listener closes a request idle for 30 s (listeners.ts): a BYE still unanswered
        // by then is reported as under way, and the call ends when its transaction does.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const later = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), HANGUP_REPLY_WAIT_MS)));
        const answer = await Promise.race([job, later]).finally(() => clearTimeout(timer));
        if (answer === 'pending') {
          const reply: HangupReply = { callId: params.callId, pending: true, message: 'BYEs sent; a phone has not answered yet: the call ends when its BYE is answered or times out (32 s)' };
          return json(reply, 202);
        }
        if (answer.kind === 'not-found') throw notFound(`no call in progress with Call-ID ${params.callId}`);
        if (answer.kind === 'not-possible') throw new ApplianceError('conflict', answer.reason);
        const reply: HangupReply = { callId: answer.callId, ms: answer.ms, dialogs: answer.dialogs };
        return json(reply);
      },
    },
  ];
}
