import { inCidrList, type Cidr } from '../../../system/config/cidr.ts';
import type { DnsContext } from '../context.ts';
import { refusal, type Resolver } from '../handler.ts';

/**
 * Not an open resolver: clients outside `dns.allow` (default loopback + private ranges) get
 * REFUSED for everything. In-process lookups (no client) are trusted.
 */
export function aclResolver(ctx: DnsContext): Resolver {
  const admits = clientFilter(ctx.config.dns.allow);
  return (next) => async (req) => (req.client === undefined || admits(req.client) ? next(req) : refusal('forbidden'));
}

/** A memoised `address → allowed` test (the CIDR match uses BigInt; clients repeat). */
export function clientFilter(allow: readonly Cidr[]): (address: string) => boolean {
  const memo = new Map<string, boolean>();
  return (address) => {
    let ok = memo.get(address);
    if (ok === undefined) {
      ok = inCidrList(address, allow);
      if (memo.size >= 4096) memo.clear();
      memo.set(address, ok);
    }
    return ok;
  };
}
