import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ConfigError } from '../errors/index.ts';

/** IP version of an address (4 or 6). */
export type AddressFamily = 4 | 6;

/**
 * One address the SIP transports bind (`[sip] listen`), with the address this appliance names
 * in Via, Record-Route and Contact on messages that leave over that family (RFC 3261 §18.2.2,
 * §16.6 step 4; IPv6 bracketed in URIs, RFC 5118 §4).
 */
export interface SipListenAddress {
  /** The address bound: IPv4 or IPv6, possibly a wildcard (0.0.0.0, ::). */
  readonly address: string;
  readonly family: AddressFamily;
  /** What the messages leaving over this family name as our address (`[sip] advertise`). */
  readonly advertise: string;
}

/** `[sip] listen` and `[sip] advertise` after validation: primary (first listed) first. */
export interface SipListen {
  /** Every address bound, at most one per family, the first one the primary. */
  readonly addresses: readonly SipListenAddress[];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Validates `[sip] listen` (one address, or a list of at most one IPv4 and one IPv6 address)
 * and `[sip] advertise` (one address, or a list of at most one per family), fail-fast naming
 * the key. Advertise per family: the advertised address of that family when one is given, else
 * the family's listen address, or for a wildcard the host's first LAN address of that family
 * (IPv4: 127.0.0.1 when there is none; IPv6: ::1). With a single listen address the one
 * advertise address is used whatever its family, as before dual stack: a lone `::` socket is
 * dual-stack and serves IPv4 phones too.
 */
export function parseSipListen(rawListen: unknown, rawAdvertise: unknown): SipListen {
  const listen = addressList(rawListen, 'sip.listen');
  perFamily(listen, 'sip.listen');
  const advertise = rawAdvertise === undefined ? [] : addressList(rawAdvertise, 'sip.advertise');
  perFamily(advertise, 'sip.advertise');
  if (listen.length === 1) {
    if (advertise.length > 1) throw new ConfigError('sip.advertise', `lists ${advertise.length} addresses but sip.listen has one; one advertise address per listen address`);
    const address = listen[0];
    const family = isIP(address) as AddressFamily;
    return { addresses: [{ address, family, advertise: advertise[0] ?? defaultAdvertise(address, family === 6 ? 'dual' : 4) }] };
  }
  // Two listen addresses are one of each family, so every advertise address finds its own.
  return {
    addresses: listen.map((address) => {
      const family = isIP(address) as AddressFamily;
      return { address, family, advertise: advertise.find((a) => isIP(a) === family) ?? defaultAdvertise(address, family) };
    }),
  };
}

/** A string or a non-empty list of IP addresses. */
function addressList(raw: unknown, key: string): string[] {
  const items = Array.isArray(raw) ? raw : [raw];
  if (Array.isArray(raw) && raw.length === 0) throw new ConfigError(key, 'expected at least one address');
  return items.map((v, i) => {
    const k = Array.isArray(raw) ? `${key}[${i}]` : key;
    if (typeof v !== 'string' || isIP(v) === 0) throw new ConfigError(k, `${JSON.stringify(v)} is not an IP address`);
    return v;
  });
}

/** At most one address per family (one socket set per family; the kernel picks the source). */
function perFamily(addresses: readonly string[], key: string): void {
  const seen = new Set<number>();
  for (const a of addresses) {
    const f = isIP(a);
    if (seen.has(f)) throw new ConfigError(key, `lists two IPv${f} addresses; at most one per family (IPv4 and IPv6)`);
    seen.add(f);
  }
}

/**
 * A specific address advertises itself; a wildcard the host's first LAN address of its family.
 * `dual`: a lone `::`, whose dual-stack socket also serves IPv4: an IPv4 address, as before.
 */
function defaultAdvertise(listen: string, family: AddressFamily | 'dual'): string {
  if (!WILDCARDS.has(listen)) return listen;
  const want = family === 6 ? 'IPv6' : 'IPv4';
  for (const addrs of Object.values(networkInterfaces())) {
    // Link-local IPv6 (fe80::/10) needs a zone index no phone can use in a URI.
    for (const a of addrs ?? []) if (a.family === want && !a.internal && !(want === 'IPv6' && /^fe[89ab]/i.test(a.address))) return a.address;
  }
  return family === 6 ? '::1' : '127.0.0.1';
}

/** The listen addresses with a port for log lines: `127.0.0.1:5060, [::1]:5060`. */
export function listenEndpoints(addresses: readonly SipListenAddress[], port: number): string {
  return addresses.map((l) => `${l.family === 6 ? `[${l.address}]` : l.address}:${port}`).join(', ');
}
