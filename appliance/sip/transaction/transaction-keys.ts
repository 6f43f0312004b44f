import { rfc3261Branch } from '../message/via.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';

/**
 * A client transaction's key (RFC 3261 §17.1.3): the branch of the top Via we sent and the
 * CSeq method, so a CANCEL (same branch, §9.1) is a transaction of its own.
 */
export type ClientKey = `${string}|${string}`;

/** The key of the client transaction that sends `method` with `branch` in its Via. */
export function clientKey(branch: string, method: string): ClientKey {
  return `${branch}|${method}`;
}

/** The key of the client transaction a request of ours is sent in (its own top Via's branch). */
export function clientKeyOfRequest(req: SipRequest): ClientKey {
  return clientKey(String(req.headers.via[0].params.branch), req.method);
}

/** The key of the client transaction a response belongs to (§17.1.3: top Via branch, CSeq method). */
export function clientKeyOfResponse(res: SipResponse): ClientKey {
  return clientKey(String(res.headers.via[0].params.branch), res.headers.cseq.method);
}

/**
 * A server transaction's key (RFC 3261 §17.2.3: branch, sent-by and method, an ACK matching
 * its INVITE; the RFC 2543 fallback without the magic cookie, from Call-ID, CSeq, From tag
 * and sent-by).
 */
export function serverKey(req: SipRequest, method = req.method): string {
  const via = req.headers.via[0];
  const m = method === 'ACK' ? 'INVITE' : method;
  const branch = rfc3261Branch(via);
  if (branch) return `${branch}|${via.host}:${via.port ?? ''}|${m}`;
  const h = req.headers;
  return `2543|${h['call-id']}|${h.cseq.seq}|${h.from.params.tag ?? ''}|${via.host}:${via.port ?? ''}|${m}`;
}
