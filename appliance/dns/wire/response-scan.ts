import { skipName } from './query-decoder.ts';

/** Layout of an upstream response, found without decoding names (for relaying and TTL aging). */
export interface ResponseLayout {
  readonly id: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questionEnd: number;
  /** Offsets of the TTL fields of answer, authority and additional records (OPT excluded). */
  readonly ttlOffsets: number[];
  /** Smallest TTL of those records; undefined when there are none. */
  readonly minTtl?: number;
  /** Where the OPT record starts, when it is the last record (it is then easy to strip). */
  readonly optAtEnd?: number;
}

/**
 * Walks a response (RFC 1035 §4.1) with one question. Returns undefined for anything that is
 * not a well-formed response. Cost is linear in the packet length: names are skipped, not
 * followed, and every step advances.
 */
export function scanResponse(buf: Uint8Array): ResponseLayout | undefined {
  if (buf.length < 12 || !(buf[2] & 0x80)) return undefined;
  const count = (i: number) => (buf[i] << 8) | buf[i + 1];
  if (count(4) !== 1) return undefined;
  const records = count(6) + count(8) + count(10);
  // Each record takes at least 11 bytes: an absurd count cannot be honest.
  if (records * 11 > buf.length) return undefined;
  let off = skipName(buf, 12);
  if (off < 0 || off + 4 > buf.length) return undefined;
  off += 4;
  const questionEnd = off;
  const ttlOffsets: number[] = [];
  let minTtl: number | undefined;
  let optAtEnd: number | undefined;
  for (let i = 0; i < records; i++) {
    const start = off;
    off = skipName(buf, off);
    if (off < 0 || off + 10 > buf.length) return undefined;
    const type = count(off);
    const ttl = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
    const rdlen = count(off + 8);
    if (type === 41) {
      if (i === records - 1) optAtEnd = start;
    } else {
      ttlOffsets.push(off + 4);
      minTtl = minTtl === undefined ? ttl : Math.min(minTtl, ttl);
    }
    off += 10 + rdlen;
    if (off > buf.length) return undefined;
  }
  return { id: count(0), rcode: buf[3] & 0x0f, truncated: (buf[2] & 0x02) !== 0, questionEnd, ttlOffsets, minTtl, optAtEnd };
}
