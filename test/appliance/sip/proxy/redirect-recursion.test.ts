import { describe, expect, test } from 'bun:test';
import { contactsToFollow } from '../../../../appliance/sip/proxy/redirect-recursion.ts';
import type { SipResponse } from '../../../../appliance/sip/message/types.ts';

const local = (h: string) => h === 'office.lan' || h === '10.0.0.1';
const res = (status: number, ...contacts: [string, Record<string, string>?][]) =>
  ({ status, headers: { contact: contacts.map(([uri, params]) => ({ uri, params: params ?? {} })) } }) as unknown as SipResponse;

describe('contactsToFollow (RFC 3261 §16.7 step 4)', () => {
  const cases: [string, SipResponse, string[], string[]][] = [
    ['302 to an extension of ours', res(302, ['sip:204@office.lan']), ['201'], ['204']],
    ['our address as host', res(301, ['sip:204@10.0.0.1:5060']), [], ['204']],
    ['best q first, duplicates once', res(300, ['sip:205@office.lan', { q: '0.5' }], ['sip:204@office.lan', { q: '0.9' }], ['sip:205@office.lan', { q: '0.1' }]), [], ['204', '205']],
    ['already rung in this call: not again (loop)', res(302, ['sip:201@office.lan']), ['201'], []],
    ['another domain or host: not followed', res(302, ['sip:204@evil.example'], ['sip:204@192.0.2.9']), [], []],
    ['not a number of ours (a name, an outside +number)', res(302, ['sip:alice@office.lan'], ['sip:+15551230100@office.lan']), [], []],
    ['305 Use Proxy and 380 are not recursed', res(305, ['sip:204@office.lan']), [], []],
    ['no Contact', { status: 302, headers: {} } as unknown as SipResponse, [], []],
    ['attack: a 302 naming 40 extensions rings 8 of them at most', res(302, ...Array.from({ length: 40 }, (_, i): [string] => [`sip:${300 + i}@office.lan`])), [],
      Array.from({ length: 8 }, (_, i) => String(300 + i))],
  ];
  for (const [name, r, rung, want] of cases) test(name, () => expect(contactsToFollow(r, local, new Set(rung))).toEqual(want));
});
