import { describe, expect, test } from 'bun:test';
import { recordedLeg } from '../../../../appliance/sip/pbx/recorded-leg.ts';
import type { TrunkCall } from '../../../../appliance/sip/pipeline/context.ts';

/** Which trunk leg a call record names when a branch answers (issue 15: groups with outside members). */
describe('recordedLeg', () => {
  const inbound: TrunkCall = { trunk: 'provider', direction: 'inbound', routedTo: '600' };
  const outLeg = { trunk: 'provider', routedTo: '+12125551234', forwardedBy: '600' };
  const forwarded: TrunkCall = { trunk: 'provider', direction: 'outbound', routedTo: '+12125551234', forwardedBy: '600' };
  const cases: [string, TrunkCall | undefined, TrunkCall | undefined, typeof outLeg | undefined, TrunkCall | undefined][] = [
    ['the outside member answered an inside call: the group\'s outside call', forwarded, undefined, outLeg, forwarded],
    ['the outside member answered a call from the provider: the group\'s outside call', forwarded, inbound, outLeg, forwarded],
    ['an extension answered while the outside member rang, inside call: no trunk leg', forwarded, undefined, undefined, undefined],
    ['an extension answered while the outside member rang, call from the provider: the inbound call', forwarded, inbound, undefined, inbound],
    ['no outside leg at all: as it came', inbound, inbound, undefined, inbound],
    ['an outside call the caller dialled (no forward): as it came', { trunk: 'p', direction: 'outbound', routedTo: '+1' }, { trunk: 'p', direction: 'outbound', routedTo: '+1' }, undefined, { trunk: 'p', direction: 'outbound', routedTo: '+1' }],
  ];
  for (const [name, current, before, leg, want] of cases) {
    test(name, () => expect(recordedLeg(current, { before, outsideLeg: leg })).toEqual(want));
  }
});
