/**
 * A strict, bounded decoder for incoming queries. dns2's general parser reads bit by bit and
 * caps the server at ~18k qps (DESIGN.md "Measured facts"), and a query needs only the header,
 * one question and the OPT record; so the hot path decodes those here and dns2 encodes answers.
 * Every loop is bounded by the packet length; compression pointers are not allowed in the
 * question (nothing precedes it to point at) and additional records are capped.
 */

/** A decoded query: what the edge needs to answer or to patch a cached answer. */
export interface DecodedQuery {
  readonly kind: 'query';
  readonly id: number;
  readonly opcode: number;
  readonly rd: boolean;
  readonly cd: boolean;
  /** Lower-case (ASCII) name without trailing dot; a `.` or `\` inside a label is escaped. */
  readonly name: string;
  /** True when a label holds `.`: such a name cannot be one of ours. */
  readonly oddName: boolean;
  readonly type: number;
  readonly qclass: number;
  /** End of the question section (byte offset); the question is bytes 12..questionEnd. */
  readonly questionEnd: number;
  /** EDNS(0) OPT (RFC 6891 §6.1.2); undefined when the query had none. */
  readonly edns?: { readonly udpSize: number; readonly version: number; readonly dnssecOk: boolean };
}

/** A query that gets an error answer (rcode) or nothing at all (drop). */
export type DecodeFailure =
  | { readonly kind: 'drop'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string; readonly id: number; readonly opcode: number; readonly rd: boolean; readonly rcode: 'malformed-message' | 'method-not-implemented'; readonly questionEnd?: number };

const HEADER = 12;
const MAX_ADDITIONAL = 4;
const TYPE_OPT = 41;

/** Decodes a query datagram / TCP message. Never throws. */
export function decodeQuery(buf: Uint8Array): DecodedQuery | DecodeFailure {
  // Too short for a header: nobody to answer (RFC 1035 §4.1.1).
  if (buf.length < HEADER) return { kind: 'drop', reason: 'shorter than a header' };
  const id = (buf[0] << 8) | buf[1];
  const flags = buf[2];
  // QR=1 is a response: a server never answers one (avoids reflection loops).
  if (flags & 0x80) return { kind: 'drop', reason: 'QR=1 (a response)' };
  const opcode = (flags >> 3) & 0x0f;
  const rd = (flags & 0x01) !== 0;
  const cd = (buf[3] & 0x10) !== 0;
  const qd = (buf[4] << 8) | buf[5];
  const an = (buf[6] << 8) | buf[7];
  const ns = (buf[8] << 8) | buf[9];
  const ar = (buf[10] << 8) | buf[11];
  const fail = (reason: string, questionEnd?: number): DecodeFailure => ({ kind: 'error', reason, id, opcode, rd, rcode: 'malformed-message', questionEnd });
  // RFC 1035 §4.1.1 opcode 0 only; NOTIFY, UPDATE etc. are not implemented (RFC 6895 §2.2).
  if (opcode !== 0) return { kind: 'error', reason: `opcode ${opcode}`, id, opcode, rd, rcode: 'method-not-implemented' };
  // RFC 9619: a query carries exactly one question; answer and authority sections are empty.
  if (qd !== 1) return fail(`QDCOUNT ${qd}`);
  if (an !== 0 || ns !== 0) return fail('answer or authority records in a query');
  if (ar > MAX_ADDITIONAL) return fail(`ARCOUNT ${ar}`);

  let off = HEADER;
  let name = '';
  let oddName = false;
  let wire = 1;
  for (;;) {
    if (off >= buf.length) return fail('question name runs past the end');
    const len = buf[off++];
    if (len === 0) break;
    if (len & 0xc0) return fail('compression pointer or reserved label type in the question');
    wire += len + 1;
    // RFC 1035 §2.3.4: at most 255 octets on the wire.
    if (wire > 255) return fail('name longer than 255 octets');
    if (off + len > buf.length) return fail('label runs past the end');
    if (name.length > 0) name += '.';
    for (let i = 0; i < len; i++) {
      let c = buf[off + i];
      if (c >= 0x41 && c <= 0x5a) c += 0x20; // ASCII case folding only (RFC 4343 §3)
      else if (c === 0x2e || c === 0x5c) { oddName = true; name += '\\'; }
      name += String.fromCharCode(c);
    }
    off += len;
  }
  if (off + 4 > buf.length) return fail('question type/class missing');
  const type = (buf[off] << 8) | buf[off + 1];
  const qclass = (buf[off + 2] << 8) | buf[off + 3];
  off += 4;
  const questionEnd = off;

  let edns: DecodedQuery['edns'];
  for (let i = 0; i < ar; i++) {
    const start = off;
    off = skipName(buf, off);
    if (off < 0 || off + 10 > buf.length) return fail('additional record runs past the end', questionEnd);
    const rrType = (buf[off] << 8) | buf[off + 1];
    const rdlen = (buf[off + 8] << 8) | buf[off + 9];
    if (off + 10 + rdlen > buf.length) return fail('RDATA runs past the end', questionEnd);
    if (rrType === TYPE_OPT) {
      // RFC 6891 §6.1.1: one OPT, owned by the root.
      if (edns || off !== start + 1 || buf[start] !== 0) return fail('bad or repeated OPT record', questionEnd);
      edns = {
        udpSize: (buf[off + 2] << 8) | buf[off + 3],
        version: buf[off + 5],
        dnssecOk: (buf[off + 6] & 0x80) !== 0,
      };
    }
    off += 10 + rdlen;
  }
  return { kind: 'query', id, opcode, rd, cd, name, oddName, type, qclass, questionEnd, edns };
}

/**
 * Skips a possibly compressed name; returns the offset after it or -1 when it runs past the
 * end. It does not follow pointers, so it costs at most the name's own bytes.
 */
export function skipName(buf: Uint8Array, off: number): number {
  let wire = 0;
  for (;;) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if (len & 0xc0) return -1;
    off += 1 + len;
    wire += 1 + len;
    if (wire > 255) return -1;
    if (len === 0) return off;
  }
}
