import type { SipRequest } from '../message/types.ts';
import { MAGIC_COOKIE, rfc3261Branch } from '../message/via.ts';

/**
 * Outgoing branch computed from the incoming request alone (RFC 3261 §16.6 step 8, §16.11),
 * so that when a retransmission reaches another worker (the reuseport hash changed), its
 * forward carries the same branch and is a retransmission downstream, not a new request.
 *
 * Form: z9hG4bK-<loop hash>-<transaction hash>-<target index>. The loop hash covers what
 * forwarding does not change (R-URI as received, From tag, To tag, Call-ID, CSeq number), so
 * a request coming back with one of our Vias carrying the same loop hash is a loop (§16.3 step 4).
 */
export function loopHash(req: SipRequest): string {
  const h = req.headers;
  return hash(`${req.uri}|${h.from.params.tag ?? ''}|${h.to.params.tag ?? ''}|${h['call-id']}|${h.cseq.seq}`).slice(0, 10);
}

/** The transaction part: the incoming top Via's branch and sent-by (or RFC 2543 fields). */
export function transactionHash(req: SipRequest): string {
  const via = req.headers.via[0];
  const branch = rfc3261Branch(via) ?? `2543:${req.headers['call-id']}:${req.headers.cseq.seq}:${req.headers.from.params.tag ?? ''}`;
  return hash(`${branch}|${via.host}:${via.port ?? ''}`).slice(0, 12);
}

/** The branch for forwarding `req` to target number `index`. CANCEL gets its INVITE's branch. */
export function outgoingBranch(req: SipRequest, index: number, loop = loopHash(req)): string {
  return `${MAGIC_COOKIE}-${loop}-${transactionHash(req)}-${index}`;
}

/** True when one of the Vias we put on `req` earlier carries the same loop hash (a loop, not a spiral). */
export function isLoop(req: SipRequest, isOurVia: (host: string, port: number | undefined) => boolean, loop = loopHash(req)): boolean {
  const marker = `${MAGIC_COOKIE}-${loop}-`;
  for (const via of req.headers.via) {
    if (isOurVia(via.host, via.port) && via.params.branch?.startsWith(marker)) return true;
  }
  return false;
}

/**
 * SHA-1, base64url: the same digest `node:crypto` gave (`createHash`), read with Bun's one-shot
 * hasher, about half the cost per call (three branches per proxied call, issue 16).
 */
function hash(s: string): string {
  return Bun.SHA1.hash(s, 'base64url');
}
