import { randomBytes } from 'node:crypto';
import { decodeMessage } from '../message/decode.ts';
import { buildResponse, encodeMessage } from '../message/encode.ts';
import { statusFor } from '../../../system/errors/index.ts';

/**
 * The 513 Message Too Large (RFC 3261 §21.5.11) for a request refused on a stream for its
 * size, built from its header block alone (the body is never read). Sent statelessly on the
 * connection the request came on (§18.2.2), which is then closed. Returns undefined when there
 * is nothing to answer: a response, an ACK (§17.1.1.3: never answered), or headers too broken
 * to carry a reply (no usable Via).
 */
export function tooLargeReply(head: Buffer): Buffer | undefined {
  let decoded;
  try {
    decoded = decodeMessage(Buffer.concat([head, Buffer.from('\r\n\r\n')]), true);
  } catch {
    return undefined;
  }
  if (decoded.kind !== 'request' && decoded.kind !== 'bad-request') return undefined;
  const req = decoded.msg;
  if (req.method === 'ACK' || !req.headers.cseq || !req.headers['call-id']) return undefined;
  // A final response carries a To tag (§8.2.6.2); no dialog or retransmission follows this one.
  const res = buildResponse(req, statusFor('payload-too-large').sip, 'Message Too Large', {}, randomBytes(6).toString('hex'));
  res.headers['content-length'] = 0;
  return encodeMessage(res);
}
