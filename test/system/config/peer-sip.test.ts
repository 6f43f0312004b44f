import { describe, expect, test } from 'bun:test';
import { parseConfig, peerSipAddress } from '../../../system/config/index.ts';
import { flowMembersOf, sipSettings } from '../../../appliance/sip/start-sip.ts';
import { handOffTargetFor, sipTargetsFor } from '../../../appliance/control/peer-roles.ts';
import { PeerLink } from '../../../appliance/peers/peer-link.ts';

/**
 * `[[peers]] sip` (`host:port`) has one reader, peerSipAddress (issue 13 item 7): it was sliced
 * at its last ':' by hand in four places (SIP settings, the source guard, the flow hop, the peer
 * roles). Validated once at parse, naming the key.
 */
const toml = (sip: string) => `data_dir = "/tmp/x"\nname = "a"\n[sip]\nlisten = "127.0.213.1"\n[[peers]]\nname = "b"\nurl = "https://127.0.213.2:8443"\nsip = "${sip}"\nsecret = "0123456789abcdef"\n`;

describe('a peer\'s SIP address', () => {
  test.each([
    ['127.0.213.2:5060', '127.0.213.2', 5060],
    ['pbx-b.office.lan:5070', 'pbx-b.office.lan', 5070],
  ])('%p → %p port %p, the same for every reader', (sip, address, port) => {
    expect(peerSipAddress(sip)).toEqual({ address, port });
    const config = parseConfig(toml(sip), 'test');
    expect([...sipSettings(config, 5060, 5062).peerHosts!]).toEqual([address]);
    expect(flowMembersOf(config).peers.get('b')).toEqual({ address, port });
    const b = new PeerLink(config.peers[0], 'a');
    expect(handOffTargetFor({ handedOffTo: b, upPeers: [b], servingFor: [] }, config)).toMatchObject({ address, port });
    expect(sipTargetsFor({ handedOffTo: null, upPeers: [b], servingFor: [] }, config, 5060).find((t) => t.host.startsWith('sip-b.'))).toMatchObject({ address, port });
  });

  test.each(['127.0.213.2', '[::1]:5060', '127.0.213.2:', 'a b:5060', '127.0.213.2:123456'])('%p is refused naming the key', (sip) => {
    expect(() => parseConfig(toml(sip), 'test')).toThrow(/peers/);
  });
});
