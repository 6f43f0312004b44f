import type { SipRequest } from './types.ts';

/** Hex digits of a local To tag. */
const LENGTH = 12;

/**
 * The To tag of responses the appliance generates itself (RFC 3261 §8.2.6.2), derived from the
 * request's Call-ID and From tag: the same on every worker and for every retransmission, so a
 * stateless reply needs no memory, and the ACK for it (same Call-ID and From tag, §17.1.1.3)
 * can be told from an in-dialog request (pipeline/stages/in-dialog.ts).
 */
export function localToTag(req: SipRequest): string {
  // SHA-1 hex as `createHash` gave it, from Bun's one-shot hasher (a third of its cost).
  return Bun.SHA1.hash(`${req.headers['call-id']}|${req.headers.from?.params?.tag ?? ''}`, 'hex').slice(0, LENGTH);
}

/** True when `tag` is the To tag we give `req` (localToTag); a tag of another length costs no hash. */
export function isLocalToTag(tag: string, req: SipRequest): boolean {
  return tag.length === LENGTH && tag === localToTag(req);
}
