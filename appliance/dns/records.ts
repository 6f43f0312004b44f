/**
 * The record model of the DNS function: resource records as plain typed values (RFC 1035 §3.2),
 * independent of the wire format. Names are absolute, without the trailing dot.
 */

/** Record types the DNS function serves or understands in questions. */
export const TYPE = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, HINFO: 13, MX: 15, TXT: 16, AAAA: 28, SRV: 33, NAPTR: 35,
  OPT: 41, IXFR: 251, AXFR: 252, ANY: 255,
} as const;

export type TypeName = keyof typeof TYPE;

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));

/** Mnemonic for a type code, or `TYPE<n>` (RFC 3597 §5) for codes without one. */
export function typeName(code: number): string {
  return TYPE_NAMES.get(code) ?? `TYPE${code}`;
}

/** Type code for a mnemonic or `TYPE<n>`; undefined when unknown. */
export function typeCode(name: string): number | undefined {
  const upper = name.toUpperCase();
  if (upper in TYPE) return TYPE[upper as TypeName];
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

/** Response codes (RFC 1035 §4.1.1, RFC 6891 §9 for BADVERS). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([k, v]) => [v, k]));

/** Mnemonic of a response code. */
export function rcodeName(code: number): string {
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

/** Record data by type; field names follow the RFC presentation order. */
export type RecordData =
  | { readonly type: 'A'; readonly address: string }
  | { readonly type: 'AAAA'; readonly address: string }
  | { readonly type: 'NS'; readonly target: string }
  | { readonly type: 'CNAME'; readonly target: string }
  | { readonly type: 'PTR'; readonly target: string }
  | { readonly type: 'TXT'; readonly texts: readonly string[] }
  | { readonly type: 'HINFO'; readonly cpu: string; readonly os: string }
  | {
    readonly type: 'SRV'; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string;
  }
  | {
    readonly type: 'NAPTR'; readonly order: number; readonly preference: number; readonly flags: string;
    readonly services: string; readonly regexp: string; readonly replacement: string;
  }
  | {
    readonly type: 'SOA'; readonly mname: string; readonly rname: string; readonly serial: number;
    readonly refresh: number; readonly retry: number; readonly expire: number; readonly minimum: number;
  };

/** A resource record: owner name, TTL and typed data (class is always IN). */
export type ResourceRecord = { readonly name: string; readonly ttl: number } & RecordData;

/** Lower-cases ASCII letters only: DNS name comparison is ASCII case-insensitive (RFC 4343 §3). */
export function lowerName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** True when `name` equals `zone` or lies below it (both lower-case, no trailing dot). */
export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

/** The record data in presentation form (RFC 1035 §5.1), as `dig` prints it. */
export function presentData(rr: RecordData): string {
  switch (rr.type) {
    case 'A': case 'AAAA': return rr.address;
    case 'NS': case 'CNAME': case 'PTR': return `${rr.target}.`;
    case 'TXT': return rr.texts.map(quote).join(' ');
    case 'HINFO': return `${quote(rr.cpu)} ${quote(rr.os)}`;
    case 'SRV': return `${rr.priority} ${rr.weight} ${rr.port} ${rr.target}.`;
    case 'NAPTR': return `${rr.order} ${rr.preference} ${quote(rr.flags)} ${quote(rr.services)} ${quote(rr.regexp)} ${rr.replacement === '' ? '.' : `${rr.replacement}.`}`;
    case 'SOA': return `${rr.mname}. ${rr.rname}. ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
  }
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
