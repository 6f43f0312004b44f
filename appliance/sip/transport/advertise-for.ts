import { isIP } from 'node:net';

/** What we advertise per family (`[sip] listen` / `advertise`, system/config/sip-listen-config.ts). */
export interface FamilyAdvertise {
  readonly family: 4 | 6;
  readonly advertise: string;
}

/**
 * The address our Via, Record-Route and Contact name on a message to `address` (RFC 3261
 * §18.2.2: the sent-by is where we receive; RFC 5118 §4: a phone on IPv6 must be able to reach
 * it): the advertised address of the family the message leaves on. Host names and families
 * we do not listen on get the primary (first) one: the kernel routes them as before dual stack.
 */
export function advertiseFor(sides: readonly FamilyAdvertise[], address: string): string {
  if (sides.length > 1) {
    const family = isIP(address);
    const side = family === 0 ? undefined : sides.find((s) => s.family === family);
    if (side) return side.advertise;
  }
  return sides[0].advertise;
}
