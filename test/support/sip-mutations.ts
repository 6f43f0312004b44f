import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeededRandom } from './seeded-random.ts';

/**
 * Mutations of SIP messages for the bounded fuzz tests: byte flips, truncation, header
 * duplication and deletion, huge values, CRLF injection, splices of two messages, numeric edge
 * values, garbage bytes and token swaps. Messages are handled as latin1 strings (one char per
 * byte), so every byte of the corpus (NULs, binary bodies) survives unchanged.
 */

/** The RFC 4475 / RFC 5118 torture corpus (../shared/testdata/sip-torture), read in place. */
export function loadSipCorpus(root: string): Buffer[] {
  return ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) =>
    readdirSync(join(root, dir)).filter((f) => !f.endsWith('.md')).map((f) => readFileSync(join(root, dir, f))));
}

type Mutation = (s: string, rnd: SeededRandom, corpus: readonly string[]) => string;

const SPECIAL = ['\0', '\r', '\n', ':', ';', ',', '<', '>', '"', '\\', ' ', '\t', '%', '@', '=', '\xff', '\x80', '\x7f', '[', ']'];
const EDGE_NUMBERS = ['0', '-1', '4294967295', '4294967296', '18446744073709551616', '99999999999999999999999', '1e9', '0x10', '', '070', '2147483648', '-0'];
const TOKENS = ['SIP/2.0', 'INVITE', 'REGISTER', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', ';tag=', 'branch=z9hG4bK', '<', '>', 'sip:', 'sips:', ';lr', ';rport', ';received=', 'Content-Length', 'Via', 'Route', 'To', 'From', 'Call-ID', 'CSeq', 'Max-Forwards', '\r\n'];
const INJECT = ['\r\n', '\r\n\r\n', '\n', '\r', '\r\n ', '\r\n\t', '\n\n', '\r\nVia: SIP/2.0/UDP 192.0.2.66;branch=z9hG4bK-inj\r\n', '\r\nContent-Length: 99999\r\n', '\r\nTo: <sip:x@example.com>;tag=inj\r\n', '\r\n\r\nINVITE sip:a@example.com SIP/2.0\r\n'];

/** Header lines: [start, end) offsets of every line between the start line and the blank line. */
function headerLines(s: string): Array<[number, number]> {
  const end = s.indexOf('\r\n\r\n');
  const stop = end < 0 ? s.length : end;
  const lines: Array<[number, number]> = [];
  let i = s.indexOf('\r\n');
  while (i >= 0 && i < stop) {
    const next = s.indexOf('\r\n', i + 2);
    const lineEnd = next < 0 || next > stop ? stop : next;
    lines.push([i + 2, lineEnd]);
    if (lineEnd >= stop) break;
    i = next;
  }
  return lines.filter(([a, b]) => b > a);
}

const flipBytes: Mutation = (s, rnd) => {
  const chars = s.split('');
  for (let n = rnd.range(1, 8); n > 0 && chars.length; n--) {
    const at = rnd.int(chars.length);
    chars[at] = rnd.chance(0.5) ? rnd.pick(SPECIAL) : String.fromCharCode(chars[at].charCodeAt(0) ^ (1 << rnd.int(8)));
  }
  return chars.join('');
};

const truncate: Mutation = (s, rnd) => s.slice(0, rnd.int(s.length));

const duplicateHeader: Mutation = (s, rnd) => {
  const lines = headerLines(s);
  if (!lines.length) return s;
  const [a, b] = rnd.pick(lines);
  const copies = rnd.chance(0.2) ? rnd.range(10, 200) : rnd.range(1, 3);
  const at = rnd.pick(lines)[0];
  return s.slice(0, at) + (s.slice(a, b) + '\r\n').repeat(copies) + s.slice(at);
};

const deleteHeader: Mutation = (s, rnd) => {
  const lines = headerLines(s);
  if (!lines.length) return s;
  // Half the time the headers a request cannot do without (RFC 3261 §8.1.1).
  const vital = lines.filter(([a]) => /^(via|v|to|t|from|f|call-id|i|cseq|content-length|l|max-forwards)\s*:/i.test(s.slice(a, a + 16)));
  const [a, b] = rnd.chance(0.5) && vital.length ? rnd.pick(vital) : rnd.pick(lines);
  return s.slice(0, a) + s.slice(b + 2);
};

const hugeValue: Mutation = (s, rnd) => {
  const lines = headerLines(s);
  if (!lines.length) return s;
  const [a, b] = rnd.pick(lines);
  const colon = s.indexOf(':', a);
  const at = colon > a && colon < b ? colon + 1 : b;
  const size = rnd.chance(0.3) ? rnd.range(8_000, 60_000) : rnd.range(300, 4_000);
  const filler = rnd.chance(0.5) ? rnd.pick(['a', ';', ',', '<', '%', ' ', '9', 'sip:x@y;']).repeat(Math.ceil(size / 8)).slice(0, size) : 'x'.repeat(size);
  return s.slice(0, at) + ' ' + filler + s.slice(b);
};

const crlfInjection: Mutation = (s, rnd) => {
  const lines = headerLines(s);
  const at = lines.length ? rnd.range(rnd.pick(lines)[0], rnd.pick(lines)[1]) : rnd.int(s.length + 1);
  return s.slice(0, at) + rnd.pick(INJECT) + s.slice(at);
};

const splice: Mutation = (s, rnd, corpus) => {
  const other = rnd.pick(corpus);
  return s.slice(0, rnd.int(s.length + 1)) + other.slice(rnd.int(other.length + 1));
};

const numberEdge: Mutation = (s, rnd) => {
  const runs = [...s.matchAll(/\d+/g)];
  if (!runs.length) return s;
  const m = rnd.pick(runs);
  return s.slice(0, m.index) + rnd.pick(EDGE_NUMBERS) + s.slice(m.index! + m[0].length);
};

const garbage: Mutation = (s, rnd) => {
  const at = rnd.int(s.length + 1);
  let g = '';
  for (let n = rnd.range(1, 64); n > 0; n--) g += String.fromCharCode(rnd.int(256));
  return s.slice(0, at) + g + s.slice(at);
};

const tokenSwap: Mutation = (s, rnd) => {
  const from = rnd.pick(TOKENS);
  const at = s.indexOf(from, rnd.int(s.length));
  const i = at >= 0 ? at : s.indexOf(from);
  return i < 0 ? s : s.slice(0, i) + rnd.pick(TOKENS) + s.slice(i + from.length);
};

/** Every mutation, by name (the name goes into the report of a failing case). */
export const SIP_MUTATIONS: Readonly<Record<string, Mutation>> = {
  flipBytes, truncate, duplicateHeader, deleteHeader, hugeValue, crlfInjection, splice, numberEdge, garbage, tokenSwap,
};
const NAMES = Object.keys(SIP_MUTATIONS);

/** A mutated message and how it was made. */
export interface SipFuzzCase {
  readonly bytes: Buffer;
  readonly seedIndex: number;
  readonly mutations: readonly string[];
}

/**
 * Generates mutated messages from the corpus: each applies 1–3 mutations to one corpus
 * message; the result is capped at `maxBytes` (a UDP datagram's payload must fit).
 */
export function* sipFuzzCases(corpus: readonly Buffer[], rnd: SeededRandom, count: number, maxBytes = 65_000): Generator<SipFuzzCase> {
  const texts = corpus.map((b) => b.toString('latin1'));
  for (let i = 0; i < count; i++) {
    const seedIndex = rnd.int(texts.length);
    let s = texts[seedIndex];
    const applied: string[] = [];
    for (let n = rnd.range(1, 3); n > 0; n--) {
      const name = rnd.pick(NAMES);
      s = SIP_MUTATIONS[name](s, rnd, texts);
      applied.push(name);
    }
    yield { bytes: Buffer.from(s.length > maxBytes ? s.slice(0, maxBytes) : s, 'latin1'), seedIndex, mutations: applied };
  }
}
