import { isIP } from 'node:net';
import { defaultPort, parseSipUri, socketHost, type SipUri } from '../message/uri.ts';

/**
 * Why a binding is taken to be behind NAT; each is one of Kamailio's `nat_uac_test` flags:
 * - `contact-address`: the Contact's IP differs from the packet's source (flag 32; with a private
 *   Contact this is also what flag 1 looks for),
 * - `contact-port`: the Contact's port differs from the source port, UDP only (flag 64),
 * - `via-address`: the top Via's sent-by IP differs from the source, i.e. we had to add
 *   `received` (RFC 3261 §18.2.1; flag 2),
 * - `via-port`: the top Via's port differs from the source port, UDP only, i.e. `rport`
 *   (RFC 3581 §4) would differ from it (flag 16).
 * Over TCP (and TLS) the ports are not compared: a stream's source port is ephemeral by design.
 * A host name (not an IP literal) in Contact or Via is not compared: it says nothing by itself.
 */
export type NatReason = 'contact-address' | 'contact-port' | 'via-address' | 'via-port';

/** What the test looks at: the REGISTER's Contact and top Via, and where the packet came from. */
export interface NatInput {
  readonly contact: string;
  /** `contact` already parsed, when the caller has it (the registrar checked every Contact): not parsed again. */
  readonly contactUri?: SipUri;
  readonly via: { readonly host: string; readonly port?: number };
  readonly source: { readonly transport: string; readonly address: string; readonly port: number };
}

/** The NAT test of one REGISTER contact, a pure function (the registrar keeps the flag with the binding). */
export function natReasons(input: NatInput): NatReason[] {
  const reasons: NatReason[] = [];
  const datagram = input.source.transport === 'udp';
  const from = normalise(input.source.address);
  const contact = input.contactUri ?? parseSipUri(input.contact);
  if (contact) {
    const host = literal(contact.host);
    if (host !== undefined && host !== from) reasons.push('contact-address');
    if (datagram && host !== undefined && defaultPort(contact) !== input.source.port) reasons.push('contact-port');
  }
  const viaHost = literal(input.via.host);
  if (viaHost !== undefined && viaHost !== from) reasons.push('via-address');
  if (datagram && (input.via.port ?? 5060) !== input.source.port) reasons.push('via-port');
  return reasons;
}

/** True when any of the NAT tests says so. */
export function behindNat(input: NatInput): boolean {
  return natReasons(input).length > 0;
}

/** An IP literal in canonical form (brackets off, lower case, IPv4-mapped IPv6 as IPv4), or undefined for a name. */
function literal(host: string): string | undefined {
  const h = normalise(socketHost(host));
  return isIP(h) ? h : undefined;
}

function normalise(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}
