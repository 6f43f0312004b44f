import { isIP } from 'node:net';

/** An IPv4 or IPv6 prefix, pre-computed for fast matching on the hot path. */
export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
}

/** Parses `addr` or `addr/prefix`; returns undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.split('/');
  const family = isIP(addr);
  if (family === 0) return undefined;
  const width = family === 4 ? 32 : 128;
  const prefix = len === undefined ? width : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width || (len !== undefined && !/^\d+$/.test(len))) return undefined;
  return { text, family: family as 4 | 6, bits: addressBits(addr, family as 4 | 6), prefix };
}

/**
 * The verdicts of inCidrList per list (lists are parsed once from the config and never change)
 * and address. The SIP service asks it twice for every request (trusted sources; the source
 * guard's exemptions), and the prefix match with BigInt arithmetic was 2-3 % of a proxied
 * call's CPU (issue 16, bench/sip-call-cpu.ts). Bounded: cleared when a flood of sources fills it.
 */
const VERDICTS = new WeakMap<readonly Cidr[], Map<string, boolean>>();
const MAX_VERDICTS = 4096;

/** True when `address` (plain IPv4/IPv6, IPv4-mapped IPv6 accepted) lies in one of `list`. */
export function inCidrList(address: string, list: readonly Cidr[]): boolean {
  if (list.length === 0) return false;
  let known = VERDICTS.get(list);
  if (known === undefined) VERDICTS.set(list, (known = new Map()));
  let verdict = known.get(address);
  if (verdict === undefined) {
    verdict = matchCidrList(address, list);
    if (known.size >= MAX_VERDICTS) known.clear();
    known.set(address, verdict);
  }
  return verdict;
}

function matchCidrList(address: string, list: readonly Cidr[]): boolean {
  let addr = address;
  if (addr.startsWith('::ffff:') && isIP(addr.slice(7)) === 4) addr = addr.slice(7);
  const family = isIP(addr);
  if (family === 0) return false;
  const bits = addressBits(addr, family as 4 | 6);
  const width = family === 4 ? 32 : 128;
  for (const c of list) {
    if (c.family !== family) continue;
    const shift = BigInt(width - c.prefix);
    if (bits >> shift === c.bits >> shift) return true;
  }
  return false;
}

function addressBits(addr: string, family: 4 | 6): bigint {
  if (family === 4) {
    return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  }
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const expand = (groups: string[]) =>
    groups.flatMap((g) => (g.includes('.') ? v4Groups(g) : [g]));
  const hh = expand(h);
  const tt = expand(t);
  const zeros = tail !== undefined ? Array(8 - hh.length - tt.length).fill('0') : [];
  return [...hh, ...zeros, ...tt].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function v4Groups(v4: string): string[] {
  const o = v4.split('.').map(Number);
  return [((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16)];
}

/** Loopback and private ranges (RFC 1918, RFC 4193, link-local): the default client ACL. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16',
  '::1/128', 'fc00::/7', 'fe80::/10',
].map((t) => parseCidr(t)!);
