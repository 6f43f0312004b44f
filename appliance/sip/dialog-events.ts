import type { SipRequest, SipResponse } from './message/types.ts';
import type { DialogLegs } from './hangup/dialog-legs.ts';

/**
 * Dialog starts, refreshes and ends as one connection control section sees them. No worker sees
 * a whole dialog (its ACK and BYE may reach any worker), so the control section assembles the
 * active calls view from every worker's events (DESIGN.md hard spots).
 *
 * `sessionExpires` (seconds) is the RFC 4028 session interval the 2xx agreed on, when the phones
 * use session timers: without a refresh within it the session is over (§10), so the view can
 * end a call whose BYE was lost.
 */
export type DialogEvent =
  /**
   * A call answered. `legs`: what the proxy needs to hang it up (each side's remote target,
   * route set and flow, sip/hangup/dialog-legs.ts); `cseq`: the CSeq of the INVITE answered.
   */
  | ({ readonly kind: 'start'; readonly callId: string; readonly tags: readonly [string, string]; readonly from: string; readonly to: string; readonly ts: number; readonly sessionExpires?: number; readonly invitedAt?: number; readonly answeredBy?: string; readonly legs?: DialogLegs; readonly cseq?: number } & TrunkLeg)
  /**
   * An in-dialog request went through us (any worker): its sender (the From tag, `tags[0]`)
   * used CSeq `seq`; a BYE of ours must carry a higher one (RFC 3261 §12.2.1.1).
   */
  | { readonly kind: 'cseq'; readonly callId: string; readonly tags: readonly [string, string]; readonly ts: number; readonly seq: number }
  /** A call that was not answered: the final error response to its INVITE (call detail records). */
  | ({ readonly kind: 'failed'; readonly callId: string; readonly tags: readonly [string, string]; readonly from: string; readonly to: string; readonly ts: number; readonly status: number; readonly reason: string; readonly invitedAt?: number } & TrunkLeg)
  | { readonly kind: 'refresh'; readonly callId: string; readonly tags: readonly [string, string]; readonly ts: number; readonly sessionExpires?: number }
  | { readonly kind: 'end'; readonly callId: string; readonly tags: readonly [string, string]; readonly ts: number; readonly reason?: string }
  /**
   * A call ringing our extensions (busy lamps, call pickup: RFC 4235 `trying`): the INVITE went
   * to the phones of `callees` (each serial step anew: the previous step's extensions stop ringing).
   */
  | { readonly kind: 'trying'; readonly callId: string; readonly tags: readonly [string, '']; readonly from: string; readonly to: string; readonly ts: number; readonly callees: readonly string[] }
  /** A phone's provisional response with a To tag went upstream (RFC 4235 `early`); `callee`: whose phone. */
  | { readonly kind: 'early'; readonly callId: string; readonly tags: readonly [string, string]; readonly from: string; readonly to: string; readonly ts: number; readonly callee?: string };

/** For a call over a trunk (issue 14): which, which way, and what the far end received. */
export interface TrunkLeg {
  /**
   * A call another member of the peer group records (issue 19, sip/call-owner.ts): a peer's
   * INVITE with our flow token (a TCP/TLS phone whose connection we hold), or one we handed off
   * to the peer (forwarded or redirected). Its record is written there, not here too
   * (control/call-records.ts); the calls view and busy lamps still follow it.
   */
  readonly transit?: true;
  readonly trunk?: string;
  readonly direction?: 'outbound' | 'inbound' | 'emergency';
  readonly routedTo?: string;
  /** The extension whose forward sent the call over the trunk (issue 15). */
  readonly forwardedBy?: string;
}

/**
 * The event a forwarded final response makes, if any: a 2xx to an INVITE out of a dialog starts
 * a call; a 2xx to a re-INVITE or UPDATE refreshes its session timer; any final response to a
 * BYE ends it: RFC 3261 §15.1.2, the UAC considers the session over once it sends the BYE,
 * whatever the answer (a 481 or a timeout's 408 too, which used to leave the call "active").
 */
export function dialogEventOf(req: SipRequest, res: SipResponse, now = Date.now(), invitedAt?: number): DialogEvent | undefined {
  const initial = req.method === 'INVITE' && !req.headers.to.params.tag;
  const callId = req.headers['call-id'];
  const fromTag = String(req.headers.from.params.tag ?? '');
  const toTag = String(req.headers.to.params.tag ?? res.headers.to?.params?.tag ?? '');
  if (res.status < 200) {
    // RFC 4235 §3.7.1: a provisional response with a To tag makes an early dialog (a 100 never does).
    if (!initial || res.status === 100 || !toTag) return undefined;
    return { kind: 'early', callId, tags: [fromTag, toTag], from: req.headers.from.uri, to: req.headers.to.uri, ts: now };
  }
  const tags: [string, string] = [fromTag, toTag];
  const since = invitedAt !== undefined ? { invitedAt } : {};
  if (req.method === 'BYE') return { kind: 'end', callId, tags, ts: now, reason: res.status < 300 ? 'BYE' : `BYE answered ${res.status}` };
  if (res.status >= 300) {
    // A challenge is not the end of a call: the caller sends the INVITE again with credentials.
    if (!initial || res.status === 401 || res.status === 407) return undefined;
    return { kind: 'failed', callId, tags: [fromTag, ''], from: req.headers.from.uri, to: req.headers.to.uri, ts: now, status: res.status, reason: `${res.status} ${res.reason}`.trim(), ...since };
  }
  const sessionExpires = sessionInterval(res);
  if (initial) {
    return { kind: 'start', callId, tags, from: req.headers.from.uri, to: req.headers.to.uri, ts: now, ...(sessionExpires ? { sessionExpires } : {}), ...since };
  }
  if (req.method === 'INVITE' || req.method === 'UPDATE') return { kind: 'refresh', callId, tags, ts: now, ...(sessionExpires ? { sessionExpires } : {}) };
  return undefined;
}

/**
 * The `cseq` event of an in-dialog request we relay (re-INVITE, UPDATE, INFO, BYE, ...), if
 * any: ACK and CANCEL reuse the CSeq number of the request they belong to (§17.1.1.3, §9.1).
 */
export function cseqEventOf(req: SipRequest, now = Date.now()): DialogEvent | undefined {
  const toTag = req.headers.to.params.tag;
  if (!toTag || req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  return { kind: 'cseq', callId: req.headers['call-id'], tags: [String(req.headers.from.params.tag ?? ''), String(toTag)], ts: now, seq: req.headers.cseq.seq };
}

/** RFC 4028 §4: `Session-Expires: <delta-seconds>[;refresher=uac|uas]` (compact form `x`). */
function sessionInterval(res: SipResponse): number | undefined {
  const raw = res.headers['session-expires'];
  const m = typeof raw === 'string' ? /^\s*(\d{1,9})/.exec(raw) : undefined;
  const seconds = m ? Number(m[1]) : 0;
  return seconds >= 90 ? seconds : undefined; // §4: the minimum is 90 s; less is not a session timer
}

/** Key of a dialog whichever side sent the message (tags sorted). */
export function dialogKey(callId: string, tags: readonly [string, string]): string {
  return `${callId}|${[...tags].sort().join('|')}`;
}
