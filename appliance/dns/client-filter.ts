import { inCidrList, type Cidr } from '../../system/config/cidr.ts';

/**
 * Not an open resolver: clients outside `dns.allow` (default loopback + private ranges) get
 * REFUSED for everything. The wire handler is the one place that applies it, before its cache
 * of ready answers (a cached name must not answer a refused client); in-process lookups (the
 * SIP locator, the trunk resolver) have no client and are not filtered.
 *
 * Returns a memoised `address → allowed` test (the CIDR match uses BigInt; clients repeat).
 */
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
