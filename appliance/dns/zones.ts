import { isIP } from 'node:net';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { inZone } from './records.ts';

/**
 * Locally served reverse zones (RFC 6303 §4): the private, loopback and link-local ranges a LAN
 * phone can have. Queries for them must never leak upstream, so we answer them ourselves: PTR
 * for registered phones and admin records, NXDOMAIN otherwise.
 */
export const REVERSE_ZONES: readonly string[] = [
  '10.in-addr.arpa',
  ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa`),
  '168.192.in-addr.arpa',
  '127.in-addr.arpa',
  '254.169.in-addr.arpa',
  `1.${'0.'.repeat(31)}ip6.arpa`, // ::1, RFC 6303 §4.3
  'd.f.ip6.arpa', // fc00::/7 (RFC 4193)
  '8.e.f.ip6.arpa', '9.e.f.ip6.arpa', 'a.e.f.ip6.arpa', 'b.e.f.ip6.arpa', // fe80::/10
];

/** The zones this appliance is authoritative for, most specific first where they nest. */
export interface ServedZones {
  /** The office zone (`dns.zone`). */
  readonly office: string;
  /** The ENUM suffix (`dns.enum_suffix`), RFC 6116 §2. */
  readonly enumSuffix: string;
  readonly reverse: readonly string[];
  /** Every apex, longest first, so the first match is the closest enclosing zone. */
  readonly all: readonly string[];
}

/** Builds the served zones from the config. */
export function servedZones(config: ApplianceConfig): ServedZones {
  const office = config.dns.zone;
  const enumSuffix = config.dns.enumSuffix;
  const all = [...new Set([office, enumSuffix, ...REVERSE_ZONES])].sort((a, b) => b.length - a.length);
  return { office, enumSuffix, reverse: REVERSE_ZONES, all };
}

/** The apex of the served zone enclosing `name` (lower-case), or undefined when none does. */
export function zoneOf(zones: ServedZones, name: string): string | undefined {
  for (const z of zones.all) if (inZone(name, z)) return z;
  return undefined;
}

/** The reverse-mapping name of an IPv4 or IPv6 address (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family !== 6) return undefined;
  const [head, tail] = address.includes('::') ? address.split('::') : [address, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if ([...h, ...t].some((g) => g.includes('.'))) return undefined; // FIXME: IPv4-embedded IPv6 forms
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const nibbles = groups.map((g) => g.padStart(4, '0').toLowerCase()).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}
