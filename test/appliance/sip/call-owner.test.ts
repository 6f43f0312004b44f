import { describe, expect, test } from 'bun:test';
import { recordedByPeer } from '../../../appliance/sip/call-owner.ts';

/** Issue 19: which member of a peer group records a call that passes two (docs/PEERS.md). */
describe('recordedByPeer: one owner of each call record', () => {
  const cases: { name: string; ctx: Parameters<typeof recordedByPeer>[0]; peerAnswered: boolean; peer: boolean }[] = [
    { name: 'a call of our own (we route it)', ctx: {}, peerAnswered: true, peer: false },
    { name: 'a peer\'s INVITE with our flow token (the peer routed it)', ctx: { flowToken: 'tok' }, peerAnswered: true, peer: true },
    { name: 'our 430 for a flow token (the peer turns it into its caller\'s answer)', ctx: { flowToken: 'tok' }, peerAnswered: false, peer: true },
    { name: 'a hand-off forward the peer answered (it routes the call)', ctx: { handOff: 'forward' }, peerAnswered: true, peer: true },
    { name: 'a hand-off forward the peer never answered (our 408: no record there)', ctx: { handOff: 'forward' }, peerAnswered: false, peer: false },
    { name: 'a hand-off redirect (the caller\'s next INVITE goes to the peer)', ctx: { handOff: 'redirect' }, peerAnswered: true, peer: true },
  ];
  for (const c of cases) {
    test(c.name, () => expect(recordedByPeer(c.ctx, c.peerAnswered)).toBe(c.peer));
  }
});
