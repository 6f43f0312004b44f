import { describe, expect, test } from 'bun:test';
import { handOffOrder } from '../../../appliance/peers/hand-off.ts';
import { PeerLink } from '../../../appliance/peers/peer-link.ts';
import { cpuShareFields, peerCpuShare, type PeerSummary } from '../../../appliance/peers/peer-protocol.ts';

const base: PeerSummary = { name: 'b', ts: 1, overloaded: false, workers: 2, activeCalls: 0, handedOff: false };

describe('a heartbeat summary\'s CPU share (renamed from utilisation, issue 13 item 9)', () => {
  test.each<[string, PeerSummary | null, number | undefined]>([
    ['this version: cpuShare', { ...base, cpuShare: 0.4 }, 0.4],
    ['this version sends both names; cpuShare wins', { ...base, cpuShare: 0.4, utilisation: 0.9 }, 0.4],
    ['an older peer: utilisation only', { ...base, utilisation: 0.7 }, 0.7],
    ['a peer older still: neither', base, undefined],
    ['no heartbeat yet', null, undefined],
  ])('%s', (_, summary, want) => {
    expect(peerCpuShare(summary)).toBe(want);
  });

  test('what we send carries both names, so that an older peer still reads our load', () => {
    expect(cpuShareFields(0.25)).toEqual({ cpuShare: 0.25, utilisation: 0.25 });
  });

  test('hand-off order ranks an older peer by its utilisation like a new one by its CPU share', () => {
    const link = (name: string, summary: PeerSummary) => {
      const l = new PeerLink({ name, url: 'http://127.0.202.1:1', sip: '127.0.202.1:5060', secret: 'x'.repeat(16) }, 'a');
      l.heartbeat(true, { ...summary, name });
      return l;
    };
    const older = link('older', { ...base, utilisation: 0.9 });
    const newer = link('newer', { ...base, cpuShare: 0.2 });
    expect(handOffOrder([older, newer]).map((l) => l.name)).toEqual(['newer', 'older']);
    const idleOlder = link('idle-older', { ...base, utilisation: 0.1 });
    expect(handOffOrder([older, newer, idleOlder]).map((l) => l.name)).toEqual(['idle-older', 'newer', 'older']);
  });
});
