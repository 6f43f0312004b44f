import { DNS_LATENCY_BUCKETS, Histogram } from '../metrics/histogram.ts';
import { TYPE } from './records.ts';

/** Query types counted by name (the ones records.ts knows); any other counts as "other". */
const COUNTED_TYPES: ReadonlyMap<number, string> = new Map(Object.entries(TYPE).map(([k, v]) => [v, k]));

/**
 * Answers of one DNS function since it started: by query type and response code (the header's
 * 4-bit RCODE, RFC 1035 §4.1.1; BADVERS shows as 0 there, its upper bits are in the OPT), and
 * the time from the query's arrival to its answer. An increment on fixed keys per answer: the
 * type is read from the question in place (no name is decoded), nothing is allocated.
 */
export class DnsCounters {
  /** Type mnemonic (or "other") → answers per RCODE 0..15. */
  readonly answers: Record<string, number[]> = {};
  readonly latency = new Histogram(DNS_LATENCY_BUCKETS);

  /** Counts one answer to `query`, made in `seconds`. */
  answered(query: Uint8Array, answer: Uint8Array, seconds: number): void {
    const type = COUNTED_TYPES.get(questionType(query)) ?? 'other';
    (this.answers[type] ??= new Array<number>(16).fill(0))[answer.length > 3 ? answer[3] & 0x0f : 2]++;
    this.latency.observe(seconds);
  }
}

/** QTYPE of the first question (RFC 1035 §4.1.2), or -1 when the name does not parse as plain labels. */
export function questionType(msg: Uint8Array): number {
  let i = 12;
  while (i < msg.length) {
    const len = msg[i];
    if (len === 0) return i + 2 < msg.length ? (msg[i + 1] << 8) | msg[i + 2] : -1;
    if (len > 63) return -1;
    i += len + 1;
  }
  return -1;
}
