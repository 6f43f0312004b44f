import type { ActiveCall, EndedCall } from '../../control/calls-view.ts';
import { json, intParam } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { notFound } from './extensions-api.ts';

/** One arrow of a ladder diagram. */
export interface LadderStep {
  readonly from: 'caller' | 'appliance' | 'callee';
  readonly to: 'caller' | 'appliance' | 'callee';
  readonly label: string;
  readonly ts: number | null;
}

/**
 * The ladder of a call as far as the calls view knows it: the dialog started (INVITE answered
 * 2xx, ACK) and, for ended calls, the BYE. FIXME: the workers do not capture SIP messages yet,
 * so provisional responses, challenges and retransmissions are not shown; a per-call message
 * trace reported over IPC would replace this reconstruction.
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
  if ('endedAt' in call) {
    both('BYE', null, 'down');
    both('200 OK', call.endedAt, 'up');
  }
  return steps;
}

export function callRoutes({ view }: ApiDeps): Route[] {
  const find = (callId: string) =>
    view.activeCalls().find((c) => c.callId === callId) ?? view.recentCalls(500).find((c) => c.callId === callId);
  return [
    {
      method: 'GET', path: '/api/calls', handler: ({ url }) => json({
        active: view.activeCalls(),
        recent: view.recentCalls(intParam(url, 'limit', 50, 1, 500)),
      }),
    },
    {
      method: 'GET', path: '/api/calls/:callId/ladder', handler: ({ params }) => {
        const call = find(params.callId);
        if (!call) throw notFound(`no call with Call-ID ${params.callId}`);
        return json({
          call,
          source: 'reconstructed',
          note: 'Reconstructed from the dialog start and end the appliance saw; individual SIP messages are not captured yet.',
          steps: reconstructLadder(call),
        });
      },
    },
  ];
}
