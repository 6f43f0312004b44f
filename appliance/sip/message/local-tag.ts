import { createHash } from 'node:crypto';
import type { SipRequest } from './types.ts';

/**
 * The To tag of responses the appliance generates itself (RFC 3261 §8.2.6.2), derived from the
 * request's Call-ID and From tag: the same on every worker and for every retransmission, so a
 * stateless reply needs no memory, and the ACK for it (same Call-ID and From tag, §17.1.1.3)
 * can be told from an in-dialog request (pipeline/stages/in-dialog.ts).
 */
export function localToTag(req: SipRequest): string {
  return createHash('sha1').update(`${req.headers['call-id']}|${req.headers.from?.params?.tag ?? ''}`).digest('hex').slice(0, 12);
}
