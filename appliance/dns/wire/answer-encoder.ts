import { Packet } from 'dns2';
import type { ResourceRecord } from '../records.ts';
import { TYPE } from '../records.ts';
import type { DnsAnswer } from '../handler.ts';

/**
 * Encodes answers with dns2 (wire format, name compression, RFC 1035 §4.1). The question is
 * encoded from the lower-case name so that answer names compress onto it; the edge then copies
 * the client's question bytes over it, so every compressed owner name echoes the client's case.
 * NAPTR and HINFO have no dns2 encoder: their RDATA is built here and passed as raw bytes.
 */

/** Our own EDNS(0) payload size: the DNS Flag Day 2020 value, avoids IP fragmentation. */
export const OUR_UDP_SIZE = 1232;

/** Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2.2 for CD). */
export const FLAG = { QR: 0x80, AA: 0x04, TC: 0x02, RD: 0x01, RA: 0x80, CD: 0x10 } as const;

/** Encodes a full response (no OPT, RD/CD clear, ID 0) for `name`/`type`. */
export function encodeAnswer(name: string, type: number, qclass: number, answer: DnsAnswer, recursionAvailable: boolean): Uint8Array {
  const packet = new Packet();
  packet.header = new Packet.Header({
    id: 0, qr: 1, opcode: 0, aa: answer.authoritative ? 1 : 0, tc: 0, rd: 0, ra: recursionAvailable ? 1 : 0,
    rcode: answer.rcode & 0x0f,
  });
  // dns2's encoders read plain fields; its typings want class instances.
  packet.questions = [{ name, type, class: qclass } as unknown as Dns2Packet['questions'][number]];
  packet.answers = answer.answers.map(toDns2);
  packet.authorities = answer.authority.map(toDns2);
  packet.additionals = answer.additional.map(toDns2);
  return packet.toBuffer();
}

/** A bare header+question response with this rcode (errors, truncation). */
export function encodeHeaderOnly(query: Uint8Array, questionEnd: number | undefined, id: number, flags2: number, flags3: number): Uint8Array {
  const qEnd = questionEnd ?? 12;
  const out = new Uint8Array(qEnd);
  out.set(query.subarray(0, qEnd));
  out[0] = id >> 8; out[1] = id & 0xff;
  out[2] = flags2; out[3] = flags3;
  out[4] = 0; out[5] = questionEnd === undefined ? 0 : 1;
  out.fill(0, 6, 12);
  return out;
}

/** Length of our OPT record: root name, type, class, TTL, RDLENGTH 0. */
export const OPT_LENGTH = 11;

/**
 * Appends an OPT record (RFC 6891 §6.1.2): our UDP size, extended RCODE high bits (BADVERS is
 * 16: header 0, OPT 1), version 0, DO clear (we do not sign).
 */
export function appendOpt(msg: Uint8Array, extendedRcode = 0): Uint8Array {
  const out = new Uint8Array(msg.length + OPT_LENGTH);
  out.set(msg);
  writeOpt(out, msg.length, extendedRcode);
  return out;
}

/** Writes the OPT record at `at` (space already there) and counts it in ARCOUNT. */
export function writeOpt(out: Uint8Array, at: number, extendedRcode = 0): void {
  out.fill(0, at, at + OPT_LENGTH);
  out[at + 2] = TYPE.OPT;
  out[at + 3] = OUR_UDP_SIZE >> 8; out[at + 4] = OUR_UDP_SIZE & 0xff;
  out[at + 5] = extendedRcode & 0xff; // TTL: extended rcode, version 0, flags 0
  const ar = ((out[10] << 8) | out[11]) + 1;
  out[10] = ar >> 8; out[11] = ar & 0xff;
}

type Dns2Packet = InstanceType<typeof Packet>;
type Dns2Resource = Dns2Packet['answers'][number];

function toDns2(rr: ResourceRecord): Dns2Resource {
  return fields(rr) as unknown as Dns2Resource;
}

function fields(rr: ResourceRecord): Record<string, unknown> {
  const base = { name: rr.name, type: TYPE[rr.type], class: 1, ttl: rr.ttl };
  switch (rr.type) {
    case 'A': case 'AAAA': return { ...base, address: rr.address };
    case 'NS': return { ...base, ns: rr.target };
    case 'CNAME': case 'PTR': return { ...base, domain: rr.target };
    case 'TXT': return { ...base, data: [...rr.texts] };
    case 'SRV': return { ...base, priority: rr.priority, weight: rr.weight, port: rr.port, target: rr.target };
    case 'SOA': return {
      ...base, primary: rr.mname, admin: rr.rname, serial: rr.serial, refresh: rr.refresh, retry: rr.retry,
      expiration: rr.expire, minimum: rr.minimum,
    };
    // dns2 writes `data` as raw RDATA for types it has no encoder for.
    case 'HINFO': return { ...base, type: 0x0d, data: Buffer.concat([charString(rr.cpu), charString(rr.os)]) };
    case 'NAPTR': return { ...base, data: naptrRdata(rr) };
  }
}

/** NAPTR RDATA (RFC 3403 §4.1); the replacement is never compressed (RFC 3597 §4). */
function naptrRdata(rr: ResourceRecord & { type: 'NAPTR' }): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(rr.order, 0);
  head.writeUInt16BE(rr.preference, 2);
  return Buffer.concat([head, charString(rr.flags), charString(rr.services), charString(rr.regexp), wireName(rr.replacement)]);
}

function charString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8').subarray(0, 255);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** An uncompressed wire name (RFC 1035 §3.1). */
export function wireName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.from(l, 'latin1'));
  return Buffer.concat([...parts.flatMap((p) => [Buffer.from([p.length]), p]), Buffer.from([0])]);
}
