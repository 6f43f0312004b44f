import { describe, expect, test } from 'bun:test';
import { recordRoutes, type RouteInterface } from '../../../../appliance/sip/proxy/record-route.ts';

const side = (transport: RouteInterface['transport'], host = '10.0.0.1', port = transport === 'tls' ? 5061 : 5060): RouteInterface => ({ transport, host, port });

describe('recordRoutes (RFC 3261 §16.6 step 4, RFC 5658 §4)', () => {
  const rows: [string, RouteInterface, RouteInterface, boolean, string[]][] = [
    ['udp → udp: one entry', side('udp'), side('udp'), false, ['sip:10.0.0.1:5060;lr;dlg=T']],
    ['udp → tcp: one entry (same port serves both)', side('udp'), side('tcp'), false, ['sip:10.0.0.1:5060;lr;dlg=T']],
    ['tls → tls: one TLS entry', side('tls'), side('tls'), false, ['sip:10.0.0.1:5061;transport=tls;lr;dlg=T']],
    ['udp → tls: outbound (TLS) first, then inbound', side('udp'), side('tls'), false, ['sip:10.0.0.1:5061;transport=tls;lr;dlg=T', 'sip:10.0.0.1:5060;lr;dlg=T']],
    ['tls → udp: outbound (UDP) first, then inbound (TLS)', side('tls'), side('udp'), false, ['sip:10.0.0.1:5060;lr;dlg=T', 'sip:10.0.0.1:5061;transport=tls;lr;dlg=T']],
    ['sips request, tls → tls: one sips: entry', side('tls'), side('tls'), true, ['sips:10.0.0.1:5061;lr;dlg=T']],
    ['sips request, tcp → tls: sips: towards TLS, sip: on the other', side('tcp'), side('tls'), true, ['sips:10.0.0.1:5061;lr;dlg=T', 'sip:10.0.0.1:5060;lr;dlg=T']],
    ['IPv4 → IPv6 address: doubled, IPv6 bracketed', side('udp'), side('udp', '::1'), false, ['sip:[::1]:5060;lr;dlg=T', 'sip:10.0.0.1:5060;lr;dlg=T']],
  ];
  for (const [name, inbound, outbound, sips, want] of rows) {
    test(name, () => expect(recordRoutes(inbound, outbound, 'T', sips)).toEqual(want));
  }
});
