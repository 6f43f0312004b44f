import { describe, expect, test } from 'bun:test';
import { behindNat, natReasons, type NatInput, type NatReason } from '../../../../appliance/sip/registrar/nat-detect.ts';

const udp = (address: string, port: number) => ({ transport: 'udp', address, port });
const tcp = (address: string, port: number) => ({ transport: 'tcp', address, port });

describe('natReasons: is a REGISTER contact behind NAT (Kamailio nat_uac_test 2/16/32/64)', () => {
  const rows: [string, NatInput, NatReason[]][] = [
    ['LAN phone: Contact, Via and source agree', { contact: 'sip:201@127.0.130.2:5062', via: { host: '127.0.130.2', port: 5062 }, source: udp('127.0.130.2', 5062) }, []],
    ['LAN phone on 5060, ports left out', { contact: 'sip:201@127.0.130.2', via: { host: '127.0.130.2' }, source: udp('127.0.130.2', 5060) }, []],
    ['private Contact and Via, sent from elsewhere (a NAT router)', { contact: 'sip:201@10.9.9.9:5060', via: { host: '10.9.9.9', port: 5060 }, source: udp('127.0.130.2', 40000) },
      ['contact-address', 'contact-port', 'via-address', 'via-port']],
    ['same address, the NAT changed only the port (flags 16, 64)', { contact: 'sip:201@127.0.130.2:5060', via: { host: '127.0.130.2', port: 5060 }, source: udp('127.0.130.2', 40000) },
      ['contact-port', 'via-port']],
    ['Via fixed by the phone (rport aware), Contact still private', { contact: 'sip:201@192.168.1.20:5060', via: { host: '127.0.130.2', port: 40000 }, source: udp('127.0.130.2', 40000) },
      ['contact-address', 'contact-port']],
    ['TCP: ephemeral source port is no sign of NAT', { contact: 'sip:201@127.0.130.2:5060;transport=tcp', via: { host: '127.0.130.2', port: 5060 }, source: tcp('127.0.130.2', 51234) }, []],
    ['TCP: private Contact address is', { contact: 'sip:201@10.9.9.9:5060;transport=tcp', via: { host: '10.9.9.9', port: 5060 }, source: tcp('127.0.130.2', 51234) },
      ['contact-address', 'via-address']],
    ['host names are not compared', { contact: 'sip:201@phone1.office.lan', via: { host: 'phone1.office.lan' }, source: udp('127.0.130.2', 5060) }, []],
    ['IPv6 in brackets equals the source', { contact: 'sip:201@[::1]:5062', via: { host: '[::1]', port: 5062 }, source: udp('::1', 5062) }, []],
    ['IPv6 written another way still equals', { contact: 'sip:201@[0:0::1]:5062', via: { host: '[::1]', port: 5062 }, source: udp('::1', 5062) }, ['contact-address']],
    ['IPv4-mapped source equals the IPv4 Contact', { contact: 'sip:201@127.0.130.2:5062', via: { host: '127.0.130.2', port: 5062 }, source: udp('::ffff:127.0.130.2', 5062) }, []],
    ['a sips Contact, its default port 5061', { contact: 'sips:201@10.0.0.7', via: { host: '127.0.130.2', port: 5062 }, source: udp('127.0.130.2', 5062) }, ['contact-address', 'contact-port']],
    ['unparsable Contact: only the Via is judged', { contact: 'mailto:x@y', via: { host: '127.0.130.2', port: 5062 }, source: udp('127.0.130.2', 5062) }, []],
  ];
  for (const [name, input, want] of rows) {
    test(name, () => {
      expect(natReasons(input)).toEqual(want);
      expect(behindNat(input)).toBe(want.length > 0);
    });
  }
});
