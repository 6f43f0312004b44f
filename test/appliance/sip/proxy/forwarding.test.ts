import { describe, expect, test } from 'bun:test';
import { forwardRequest } from '../../../../appliance/sip/proxy/forwarding.ts';
import type { SipRequest } from '../../../../appliance/sip/message/types.ts';

/** forwardRequest (RFC 3261 §16.6) on a dual-stack appliance: each leg names our address of its family (RFC 5118, RFC 5658 §4). */
describe('forwardRequest across families', () => {
  const invite = (): SipRequest => ({
    method: 'INVITE', uri: 'sip:202@office.lan', version: '2.0', content: '',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '[2001:db8:1::7]', port: 5060, params: { branch: 'z9hG4bK-a' } }],
      to: { uri: 'sip:202@office.lan', params: {} }, from: { uri: 'sip:201@office.lan', params: { tag: 'f1' } },
      'call-id': 'c1', cseq: { seq: 1, method: 'INVITE' }, 'max-forwards': '70',
    },
  } as SipRequest);
  const id = { port: 5060, viaPort: 5160, dialogToken: () => 'T' };

  test('IPv6 caller to an IPv4 callee: Via names our IPv4 address; Record-Route IPv4 on top, IPv6 below', () => {
    const out = forwardRequest(invite(), 'sip:202@198.51.100.7:5062', 'z9hG4bK-b', 'udp', { ...id, advertise: '192.0.2.5', inboundAdvertise: '2001:db8::5' });
    expect(out.headers.via[0]).toMatchObject({ host: '192.0.2.5', port: 5160 });
    expect(out.headers['record-route']!.map((r) => r.uri)).toEqual(['sip:192.0.2.5:5060;lr;dlg=T', 'sip:[2001:db8::5]:5060;lr;dlg=T']);
  });
  test('IPv4 caller to an IPv6 callee: Via bracketed IPv6; Record-Route IPv6 on top', () => {
    const out = forwardRequest(invite(), 'sip:202@[2001:db8:1::8]:5062', 'z9hG4bK-b', 'udp', { ...id, advertise: '2001:db8::5', inboundAdvertise: '192.0.2.5' });
    expect(out.headers.via[0]).toMatchObject({ host: '[2001:db8::5]', port: 5160 });
    expect(out.headers['record-route']!.map((r) => r.uri)).toEqual(['sip:[2001:db8::5]:5060;lr;dlg=T', 'sip:192.0.2.5:5060;lr;dlg=T']);
  });
  test('same family both ways (or no inbound given): one entry', () => {
    const out = forwardRequest(invite(), 'sip:202@198.51.100.7:5062', 'z9hG4bK-b', 'udp', { ...id, advertise: '192.0.2.5' });
    expect(out.headers['record-route']!.map((r) => r.uri)).toEqual(['sip:192.0.2.5:5060;lr;dlg=T']);
  });
});

/** Our Via per transport (RFC 3261 §16.6 step 8, §18.2.2): where the callee sends its responses. */
describe('forwardRequest: our Via', () => {
  const invite = (): SipRequest => ({
    method: 'INVITE', uri: 'sip:202@office.lan', version: '2.0', content: '',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.7', port: 5060, params: { branch: 'z9hG4bK-a' } }],
      to: { uri: 'sip:202@office.lan', params: {} }, from: { uri: 'sip:201@office.lan', params: { tag: 'f1' } },
      'call-id': 'c1', cseq: { seq: 1, method: 'INVITE' }, 'max-forwards': '70',
    },
  } as SipRequest);
  const cases: { name: string; transport: 'udp' | 'tcp' | 'tls'; viaPort: number; want: { protocol: string; port: number; params: Record<string, string> } }[] = [
    { name: 'UDP, a worker: its own port', transport: 'udp', viaPort: 5160, want: { protocol: 'UDP', port: 5160, params: { branch: 'z9hG4bK-b' } } },
    { name: 'TCP, a worker: the shared TCP port, its own port in wport', transport: 'tcp', viaPort: 5160, want: { protocol: 'TCP', port: 5060, params: { branch: 'z9hG4bK-b', wport: '5160' } } },
    { name: 'TLS, a worker: the TLS port, its own port in wport', transport: 'tls', viaPort: 5161, want: { protocol: 'TLS', port: 5061, params: { branch: 'z9hG4bK-b', wport: '5161' } } },
    { name: 'TCP, one process (own port = shared port): no wport', transport: 'tcp', viaPort: 5060, want: { protocol: 'TCP', port: 5060, params: { branch: 'z9hG4bK-b' } } },
    { name: 'TLS, one process: the TLS port (linphone answers the sent-by), wport the shared port', transport: 'tls', viaPort: 5060, want: { protocol: 'TLS', port: 5061, params: { branch: 'z9hG4bK-b', wport: '5060' } } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const out = forwardRequest(invite(), 'sip:202@198.51.100.7:5062', 'z9hG4bK-b', c.transport, { advertise: '192.0.2.5', port: 5060, tlsPort: 5061, viaPort: c.viaPort, dialogToken: () => 'T' });
      expect(out.headers.via[0]).toEqual({ version: '2.0', host: '192.0.2.5', ...c.want });
      expect(out.headers.via[1].params.branch).toBe('z9hG4bK-a');
    });
  }
});
