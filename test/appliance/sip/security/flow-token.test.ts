import { describe, expect, test } from 'bun:test';
import { DialogTokens } from '../../../../appliance/sip/security/dialog-token.ts';
import { FlowTokens, isFlowToken, wellFormedFlowToken } from '../../../../appliance/sip/security/flow-token.ts';
import type { FlowAddress } from '../../../../system/store/source-key.ts';

/** Flow tokens (RFC 5626 §5.2): issued for a stream flow, read back only with our key (issue 19). */
const ours = new FlowTokens('the-dialog-secret-of-b');
const theirs = new FlowTokens('the-dialog-secret-of-a');
const tcp: FlowAddress = { transport: 'tcp', address: '192.168.1.21', port: 40001 };
const tls: FlowAddress = { transport: 'tls', address: '192.168.1.22', port: 5061 };
const v6: FlowAddress = { transport: 'tcp', address: 'fd00::21', port: 40002 };

describe('FlowTokens: round trip', () => {
  const rows: [string, FlowAddress][] = [['TCP', tcp], ['TLS', tls], ['TCP over IPv6', v6]];
  for (const [name, flow] of rows) {
    test(`${name}: the token reads back as its flow, and is safe in a URI user part`, () => {
      const token = ours.issue(flow);
      expect(ours.read(token)).toEqual(flow);
      expect(token).toMatch(/^flow\.[A-Za-z0-9_-]+\.[0-9a-f]{20}$/);
      expect(isFlowToken(token)).toBe(true);
      expect(wellFormedFlowToken(token)).toBe(true);
    });
  }
  test('the same flow gets the same token (stateless: any worker, a restart)', () => {
    expect(new FlowTokens('the-dialog-secret-of-b').issue(tcp)).toBe(ours.issue(tcp));
  });
});

describe('FlowTokens: what is refused (403 at the holder)', () => {
  const good = ours.issue(tcp);
  const [, body, mac] = good.split('.');
  const otherSource = Buffer.from('tcp:10.66.66.66:5060').toString('base64url');
  const rows: [string, string][] = [
    ['another appliance issued it', theirs.issue(tcp)],
    ['one hex digit of the MAC changed', `flow.${body}.${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`],
    ["another flow with this token's MAC", `flow.${otherSource}.${mac}`],
    ['a UDP flow, even with a valid MAC', ours.issue({ transport: 'udp', address: '192.168.1.21', port: 5060 })],
    ['no prefix', `${body}.${mac}`],
    ['a MAC too short', `flow.${body}.${mac.slice(0, 19)}`],
    ['upper-case hex', `flow.${body}.${mac.toUpperCase()}`],
    ['a source that is not a source key', `flow.${Buffer.from('hello world, not a key').toString('base64url')}.${mac}`],
    ['characters that break out of a URI', `flow.${body}@evil;lr.${mac}`],
    ['empty', ''],
  ];
  for (const [name, token] of rows) test(name, () => expect(ours.read(token)).toBeUndefined());

  test('a dialog token under the same secret is no flow token', () => {
    const dialog = new DialogTokens('the-dialog-secret-of-b').issue('flow-token key', 'x');
    expect(ours.read(`flow.${body}.${dialog}`)).toBeUndefined();
  });
});

describe('isFlowToken / wellFormedFlowToken', () => {
  const rows: [unknown, boolean, boolean][] = [
    [ours.issue(tcp), true, true],
    ['flow.', true, false],
    ['201', false, false],
    [undefined, false, false],
    [42, false, false],
    [`flow.${'A'.repeat(200)}.0123456789abcdef0123`, true, false],
  ];
  for (const [value, prefixed, shaped] of rows) {
    test(`${String(value).slice(0, 40)}: prefix ${prefixed}, shape ${shaped}`, () => {
      expect(isFlowToken(value as string | undefined)).toBe(prefixed);
      expect(wellFormedFlowToken(value)).toBe(shaped);
    });
  }
});
