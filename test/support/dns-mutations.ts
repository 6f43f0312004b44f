import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeededRandom } from './seeded-random.ts';

/**
 * Malformed DNS packets for the bounded fuzz tests, derived from the shared wire corpus
 * (../shared/testdata/dns, see its SOURCES.md): byte flips, truncation, QR cleared (so the
 * corpus's responses are read as queries), absurd section counts, compression-pointer loops,
 * over-long labels and names, odd opcodes and EDNS sizes, garbage and splices.
 */

const WIRE_DIRS = ['powerdns-raw-dns-packets', 'mooncell-queries', 'c-ares-fuzzinput'];

/** The corpus packets that fit a TCP length prefix (the 207 KB one does not). */
export function loadDnsCorpus(root: string): Buffer[] {
  return WIRE_DIRS.flatMap((d) => readdirSync(join(root, d)).map((f) => readFileSync(join(root, d, f))))
    .filter((b) => b.length <= 65_535);
}

type Mutation = (p: Buffer, rnd: SeededRandom, corpus: readonly Buffer[]) => Buffer;

/** Bytes of a header with at least 12 bytes (padded with zeros when shorter). */
function withHeader(p: Buffer): Buffer {
  return p.length >= 12 ? Buffer.from(p) : Buffer.concat([p, Buffer.alloc(12 - p.length)]);
}

const flipBytes: Mutation = (p, rnd) => {
  const out = Buffer.from(p);
  for (let n = rnd.range(1, 8); n > 0 && out.length; n--) {
    const at = rnd.chance(0.5) ? rnd.int(Math.min(out.length, 16)) : rnd.int(out.length);
    out[at] = rnd.chance(0.5) ? out[at] ^ (1 << rnd.int(8)) : rnd.pick([0, 0xff, 0xc0, 0x3f, 0x40, 0x80, rnd.int(256)]);
  }
  return out;
};

const truncate: Mutation = (p, rnd) => p.subarray(0, rnd.int(p.length));

const asQuery: Mutation = (p) => {
  const out = withHeader(p);
  out[2] &= 0x7f; // QR = 0
  return out;
};

const counts: Mutation = (p, rnd) => {
  const out = withHeader(p);
  out.writeUInt16BE(rnd.pick([0, 1, 2, 255, 0x7fff, 0xffff, rnd.int(65536)]), 4 + 2 * rnd.int(4));
  return out;
};

const pointerLoop: Mutation = (p, rnd) => {
  const out = withHeader(p);
  // A name at offset 12 that points to itself, or two names pointing at each other.
  const loop = rnd.chance(0.5) ? Buffer.from([0xc0, 0x0c]) : Buffer.from([0x01, 0x61, 0xc0, 0x0e, 0xc0, 0x0c]);
  const at = rnd.chance(0.7) ? 12 : rnd.range(12, out.length);
  return Buffer.concat([out.subarray(0, at), loop, out.subarray(at + loop.length)]);
};

const longName: Mutation = (p, rnd) => {
  const out = withHeader(p);
  out.writeUInt16BE(1, 4);
  const labels: Buffer[] = [];
  const oversize = rnd.chance(0.5);
  for (let n = rnd.range(1, 140); n > 0; n--) {
    const len = oversize ? rnd.pick([63, 64, 127, 191]) : rnd.range(1, 63);
    labels.push(Buffer.concat([Buffer.from([len]), Buffer.alloc(Math.min(len, 63), 0x61)]));
  }
  const tail = rnd.chance(0.7) ? Buffer.from([0, 0, 1, 0, 1]) : Buffer.alloc(0);
  return Buffer.concat([out.subarray(0, 12), ...labels, tail]);
};

const opcode: Mutation = (p, rnd) => {
  const out = withHeader(p);
  out[2] = (out[2] & 0x87) | (rnd.int(16) << 3);
  if (rnd.chance(0.5)) out[3] = rnd.int(256); // Z, AD, CD, RCODE bits
  return out;
};

const ednsOpt: Mutation = (p, rnd) => {
  const out = withHeader(p);
  out.writeUInt16BE((out.readUInt16BE(10) + 1) & 0xffff, 10);
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(rnd.pick([0, 1, 511, 512, 4096, 65535]), 3);
  opt[6] = rnd.pick([0, 1, 255]);
  opt.writeUInt16BE(rnd.pick([0, 4, 0xffff]), 9); // RDLENGTH, often past the end
  return Buffer.concat([out, opt]);
};

const garbage: Mutation = (p, rnd) => {
  const g = Buffer.alloc(rnd.range(1, 64));
  for (let i = 0; i < g.length; i++) g[i] = rnd.int(256);
  const at = rnd.int(p.length + 1);
  return Buffer.concat([p.subarray(0, at), g, p.subarray(at)]);
};

const splice: Mutation = (p, rnd, corpus) => {
  const other = rnd.pick(corpus);
  return Buffer.concat([p.subarray(0, rnd.int(p.length + 1)), other.subarray(rnd.int(other.length + 1))]);
};

const tiny: Mutation = (_p, rnd) => {
  const b = Buffer.alloc(rnd.int(13));
  for (let i = 0; i < b.length; i++) b[i] = rnd.int(256);
  return b;
};

const NAMES_ASKED = ['office.lan', 'OfFiCe.LaN', '_sip._udp.office.lan', '_sip._tcp.office.lan', '201.office.lan', 'sip.office.lan',
  'printer.office.lan', 'nope.office.lan', '1.0.2.e164.arpa', '2.1.0.2.4.4.e164.arpa', 'example.com', 'lan', '', 'a.b.c.d.e.f.g.office.lan',
  'x\\.y.office.lan', '*.office.lan', '\u00e9t\u00e9.office.lan'];
const TYPES_ASKED = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 41, 43, 46, 48, 64, 65, 99, 252, 251, 255, 0, 65535];

/** A query for one of the names above, in wire form (RFC 1035 §4.1), UTF-8 labels allowed. */
function plausibleQuery(rnd: SeededRandom): Buffer {
  const name = rnd.pick(NAMES_ASKED);
  const labels = name === '' ? [] : name.split('.').map((l) => Buffer.from(l, 'utf8'));
  const q = Buffer.concat([...labels.flatMap((l) => [Buffer.from([Math.min(l.length, 63)]), l.subarray(0, 63)]), Buffer.from([0])]);
  const out = Buffer.alloc(12 + q.length + 4);
  out.writeUInt16BE(rnd.int(65536), 0);
  out[2] = rnd.chance(0.7) ? 1 : rnd.int(128); // RD, or odd flags with QR = 0
  out.writeUInt16BE(1, 4);
  q.copy(out, 12);
  out.writeUInt16BE(rnd.pick(TYPES_ASKED), 12 + q.length);
  out.writeUInt16BE(rnd.chance(0.9) ? 1 : rnd.pick([3, 4, 254, 255, 0]), 14 + q.length);
  return out;
}

/** Every mutation, by name. */
export const DNS_MUTATIONS: Readonly<Record<string, Mutation>> = {
  flipBytes, truncate, asQuery, counts, pointerLoop, longName, opcode, ednsOpt, garbage, splice, tiny,
};
const NAMES = Object.keys(DNS_MUTATIONS);

const LIGHT = ['flipBytes', 'opcode', 'ednsOpt', 'counts', 'garbage'];

/**
 * Generates malformed packets: 1–3 mutations of a corpus packet, most with QR cleared at the
 * end so that the server reads them as queries rather than dropping them as responses; and
 * (40 %) plausible queries for office names with odd types, classes, flags and EDNS, lightly
 * mutated or not, so that the resolvers and the encoder are reached too, not only the decoder.
 */
export function* dnsFuzzCases(corpus: readonly Buffer[], rnd: SeededRandom, count: number, maxBytes = 65_507): Generator<Buffer> {
  for (let i = 0; i < count; i++) {
    let p: Buffer;
    if (rnd.chance(0.4)) {
      p = plausibleQuery(rnd);
      for (let n = rnd.int(2); n > 0; n--) p = DNS_MUTATIONS[rnd.pick(LIGHT)](p, rnd, corpus);
    } else {
      p = rnd.pick(corpus);
      for (let n = rnd.range(1, 3); n > 0; n--) p = DNS_MUTATIONS[rnd.pick(NAMES)](p, rnd, corpus);
    }
    if (rnd.chance(0.8) && p.length >= 3) p = asQuery(p, rnd, corpus);
    yield p.length > maxBytes ? p.subarray(0, maxBytes) : p;
  }
}
