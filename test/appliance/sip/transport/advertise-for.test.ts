import { describe, expect, test } from 'bun:test';
import { advertiseFor, type FamilyAdvertise } from '../../../../appliance/sip/transport/advertise-for.ts';

/** Which of our addresses a message names, by the family it leaves on (dual stack, RFC 5118). */
const DUAL: FamilyAdvertise[] = [{ family: 4, advertise: '192.0.2.5' }, { family: 6, advertise: '2001:db8::5' }];
const V6_FIRST: FamilyAdvertise[] = [{ family: 6, advertise: '2001:db8::5' }, { family: 4, advertise: '192.0.2.5' }];
const ONE: FamilyAdvertise[] = [{ family: 6, advertise: '192.0.2.5' }];

describe('advertiseFor', () => {
  const rows: [string, FamilyAdvertise[], string, string][] = [
    ['IPv4 destination: our IPv4 address', DUAL, '198.51.100.7', '192.0.2.5'],
    ['IPv6 destination: our IPv6 address', DUAL, '2001:db8:1::7', '2001:db8::5'],
    ['loopback IPv6', DUAL, '::1', '2001:db8::5'],
    ['the order of the list does not matter for a family', V6_FIRST, '198.51.100.7', '192.0.2.5'],
    ['a host name (not an address): the primary', V6_FIRST, 'gw.example', '2001:db8::5'],
    ['one listen address: its advertise address whatever the destination (a lone dual-stack ::)', ONE, '2001:db8:1::7', '192.0.2.5'],
    ['an IPv4-mapped IPv6 source counts as IPv6 (one dual-stack socket: the single entry anyway)', ONE, '::ffff:198.51.100.7', '192.0.2.5'],
  ];
  for (const [name, sides, address, want] of rows) test(name, () => expect(advertiseFor(sides, address)).toBe(want));
});
