import type { RecordData } from '../records.ts';

type Naptr = RecordData & { type: 'NAPTR' };

/**
 * Decodes NAPTR RDATA (RFC 3403 §4.1: ORDER, PREFERENCE, FLAGS, SERVICES, REGEXP as
 * character-strings, REPLACEMENT as an uncompressed name, RFC 3597 §4). `dns2` has no NAPTR
 * parser and hands such records over as raw bytes; this is its counterpart of the encoder in
 * answer-encoder.ts. Undefined for RDATA that does not hold together (a hostile upstream).
 */
export function naptrFromRdata(data: Uint8Array): Omit<Naptr, never> | undefined {
  if (data.length < 4) return undefined;
  const order = (data[0] << 8) | data[1];
  const preference = (data[2] << 8) | data[3];
  let at = 4;
  const text = (): string | undefined => {
    if (at >= data.length) return undefined;
    const n = data[at];
    if (at + 1 + n > data.length) return undefined;
    const s = Buffer.from(data.subarray(at + 1, at + 1 + n)).toString('latin1');
    at += 1 + n;
    return s;
  };
  const flags = text();
  const services = text();
  const regexp = text();
  if (flags === undefined || services === undefined || regexp === undefined) return undefined;
  const labels: string[] = [];
  for (;;) {
    if (at >= data.length) return undefined;
    const n = data[at];
    if (n === 0) { at++; break; }
    // A compression pointer (0xc0) or a label running past the end: not a valid NAPTR name.
    if (n > 63 || at + 1 + n > data.length) return undefined;
    labels.push(Buffer.from(data.subarray(at + 1, at + 1 + n)).toString('latin1').toLowerCase());
    at += 1 + n;
  }
  if (at !== data.length) return undefined;
  return { type: 'NAPTR', order, preference, flags, services, regexp, replacement: labels.join('.') };
}
