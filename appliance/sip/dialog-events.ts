import type { SipRequest, SipResponse } from './message/types.ts';

/**
 * Dialog starts and ends as one connection control section sees them. No worker sees a whole
 * dialog (its ACK and BYE may reach any worker), so the control section assembles the active
 * calls view from every worker's events (DESIGN.md hard spots).
 */
export type DialogEvent =
  | { readonly kind: 'start'; readonly callId: string; readonly tags: readonly [string, string]; readonly from: string; readonly to: string; readonly ts: number }
  | { readonly kind: 'end'; readonly callId: string; readonly tags: readonly [string, string]; readonly ts: number };

/** The event a forwarded 2xx makes, if any: INVITE out of a dialog starts one, BYE ends it. */
export function dialogEventOf(req: SipRequest, res: SipResponse, now = Date.now()): DialogEvent | undefined {
  if (res.status < 200 || res.status >= 300) return undefined;
  const callId = req.headers['call-id'];
  const fromTag = String(req.headers.from.params.tag ?? '');
  const toTag = String(res.headers.to?.params?.tag ?? '');
  if (req.method === 'INVITE' && !req.headers.to.params.tag) {
    return { kind: 'start', callId, tags: [fromTag, toTag], from: req.headers.from.uri, to: req.headers.to.uri, ts: now };
  }
  if (req.method === 'BYE') return { kind: 'end', callId, tags: [fromTag, toTag], ts: now };
  return undefined;
}

/** Key of a dialog whichever side sent the message (tags sorted). */
export function dialogKey(callId: string, tags: readonly [string, string]): string {
  return `${callId}|${[...tags].sort().join('|')}`;
}
