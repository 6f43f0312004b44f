import { isIP } from 'node:net';
import { ValidationError } from '../../system/errors/index.ts';
import { presentData, type RecordData } from './records.ts';
import { zoneOf, type ServedZones } from './zones.ts';

/** Record types an admin may add; SOA and NS are the appliance's own (zone-apex.ts). */
export const ADMIN_TYPES = ['A', 'AAAA', 'CNAME', 'PTR', 'TXT', 'SRV', 'NAPTR'] as const;
export type AdminType = (typeof ADMIN_TYPES)[number];

/** A record as an admin types it (CLI, API). */
export interface RecordInput {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly ttl?: number | null;
}

/** A validated record: absolute lower-case name, canonical value, parsed data. */
export interface ValidRecord {
  readonly name: string;
  readonly type: AdminType;
  readonly value: string;
  readonly ttl: number | null;
  readonly data: RecordData;
}

// RFC 1035 §2.3.1 host labels, plus a leading underscore for service labels (RFC 2782, RFC 8552).
const LABEL = /^_?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Validates a domain name in presentation form; returns it lower-case without trailing dot. */
export function checkDomainName(text: string, what = 'name'): string {
  const name = text.toLowerCase().replace(/\.$/, '');
  if (name === '' || name.length > 253 || !name.split('.').every((l) => l.length <= 63 && LABEL.test(l))) {
    throw new ValidationError(`invalid ${what} "${text}": use labels of letters, digits and hyphens (RFC 1035 §2.3.1), at most 63 characters each`, what);
  }
  return name;
}

/**
 * Resolves an owner name: `@` is the office zone, a trailing dot or a served-zone suffix makes
 * it absolute, anything else is relative to the office zone. It must lie in a served zone.
 */
export function ownerName(text: string, zones: ServedZones): string {
  if (text === '@') return zones.office;
  const name = checkDomainName(text);
  const absolute = text.endsWith('.') || zoneOf(zones, name) !== undefined;
  const full = absolute ? name : checkDomainName(`${name}.${zones.office}`);
  if (!zoneOf(zones, full)) {
    throw new ValidationError(`name "${text}" is outside the zones this appliance serves (${zones.office}, ${zones.enumSuffix}, LAN reverse zones)`, 'name');
  }
  return full;
}

/** Validates an admin record; `ttl` null means the configured default. */
export function validateRecord(input: RecordInput, zones: ServedZones): ValidRecord {
  const type = input.type.toUpperCase();
  if (!(ADMIN_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`unsupported record type "${input.type}": use one of ${ADMIN_TYPES.join(', ')}`, 'type');
  }
  const name = ownerName(input.name, zones);
  const ttl = input.ttl ?? null;
  if (ttl !== null && (!Number.isInteger(ttl) || ttl < 0 || ttl > 604800)) {
    throw new ValidationError(`invalid TTL "${ttl}": use 0 to 604800 seconds`, 'ttl');
  }
  const data = parseRecordValue(type as AdminType, input.value);
  if (data.type === 'PTR' && !name.endsWith('.arpa')) throw new ValidationError('PTR records belong in a reverse zone (*.in-addr.arpa, *.ip6.arpa)', 'name');
  if (data.type === 'CNAME' && name === zones.office) throw new ValidationError('a CNAME cannot sit at the zone apex (RFC 1034 §3.6.2)', 'name');
  return { name, type: type as AdminType, value: presentData(data), ttl, data };
}

/** Parses record data in presentation form (RFC 1035 §5.1); throws ValidationError. */
export function parseRecordValue(type: AdminType, value: string): RecordData {
  const words = tokens(value);
  const need = (n: number, shape: string) => {
    if (words.length !== n) throw new ValidationError(`${type} value must be "${shape}", got "${value}"`, 'value');
  };
  switch (type) {
    case 'A':
      need(1, 'an IPv4 address');
      if (!/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(words[0])) {
        throw new ValidationError(`A value must be an IPv4 address, got "${value}"`, 'value');
      }
      return { type, address: words[0] };
    case 'AAAA':
      need(1, 'an IPv6 address');
      if (isIP(words[0]) !== 6 || words[0].includes('.')) throw new ValidationError(`AAAA value must be an IPv6 address, got "${value}"`, 'value');
      return { type, address: words[0].toLowerCase() };
    case 'CNAME': case 'PTR':
      need(1, 'a domain name');
      return { type, target: checkDomainName(words[0], 'target') };
    case 'TXT': {
      if (words.length === 0) throw new ValidationError('TXT value must not be empty', 'value');
      // RFC 1035 §3.3.14: character-strings of at most 255 octets; split longer text.
      const texts = words.flatMap((w) => chunks(w, 255));
      return { type, texts };
    }
    case 'SRV': {
      need(4, 'priority weight port target');
      const [priority, weight, port] = words.slice(0, 3).map((w, i) => u16(w, ['priority', 'weight', 'port'][i]));
      const target = words[3] === '.' ? '' : checkDomainName(words[3], 'target');
      return { type, priority, weight, port, target };
    }
    case 'NAPTR': {
      need(6, 'order preference "flags" "services" "regexp" replacement');
      const [order, preference] = [u16(words[0], 'order'), u16(words[1], 'preference')];
      const [flags, services, regexp] = words.slice(2, 5);
      if (!/^[a-z0-9]*$/i.test(flags)) throw new ValidationError(`NAPTR flags must be letters or digits (RFC 3403 §4.1), got "${flags}"`, 'value');
      if (regexp !== '' && words[5] !== '.') throw new ValidationError('NAPTR needs either a regexp or a replacement, not both (RFC 3403 §4.1)', 'value');
      const replacement = words[5] === '.' ? '' : checkDomainName(words[5], 'replacement');
      return { type, order, preference, flags: flags.toLowerCase(), services, regexp, replacement };
    }
  }
}

function u16(word: string, what: string): number {
  const n = Number(word);
  if (!/^\d{1,5}$/.test(word) || n > 65535) throw new ValidationError(`invalid ${what} "${word}": use 0 to 65535`, 'value');
  return n;
}

/** Splits presentation text into words; "quoted strings" may hold spaces and \" escapes. */
function tokens(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  }
  return out;
}

function chunks(text: string, max: number): string[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return [text];
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += max) out.push(bytes.subarray(i, i + max).toString('utf8'));
  return out;
}
