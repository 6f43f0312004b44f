import { Packet } from 'dns2';
import { wireName } from '../../../../appliance/dns/wire/answer-encoder.ts';

/** Builds a query message; the name keeps its case. */
export function query(name: string, type: number, opts: { id?: number; rd?: boolean; edns?: number; ednsVersion?: number; qclass?: number } = {}): Uint8Array {
  const q = wireName(name);
  const opt = opts.edns !== undefined ? 11 : 0;
  const out = Buffer.alloc(12 + q.length + 4 + opt);
  out.writeUInt16BE(opts.id ?? 0x1234, 0);
  out[2] = opts.rd === false ? 0 : 1;
  out.writeUInt16BE(1, 4);
  q.copy(out, 12);
  out.writeUInt16BE(type, 12 + q.length);
  out.writeUInt16BE(opts.qclass ?? 1, 14 + q.length);
  if (opt) {
    const o = 16 + q.length;
    out.writeUInt16BE(1, 10);
    out.writeUInt16BE(41, o + 1);
    out.writeUInt16BE(opts.edns!, o + 3);
    out[o + 6] = opts.ednsVersion ?? 0;
  }
  return out;
}

/** Decodes a response with dns2 (tests only: speed does not matter here). */
export function parse(bytes: Uint8Array) {
  return Packet.parse(Buffer.from(bytes));
}

/** Header fields straight from the bytes. */
export function header(bytes: Uint8Array) {
  return {
    id: (bytes[0] << 8) | bytes[1],
    qr: (bytes[2] & 0x80) !== 0,
    aa: (bytes[2] & 0x04) !== 0,
    tc: (bytes[2] & 0x02) !== 0,
    rd: (bytes[2] & 0x01) !== 0,
    ra: (bytes[3] & 0x80) !== 0,
    rcode: bytes[3] & 0x0f,
    qd: (bytes[4] << 8) | bytes[5],
    an: (bytes[6] << 8) | bytes[7],
    ns: (bytes[8] << 8) | bytes[9],
    ar: (bytes[10] << 8) | bytes[11],
  };
}
