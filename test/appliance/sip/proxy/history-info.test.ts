import { describe, expect, test } from 'bun:test';
import { appendHistoryInfo, lastEntryUser } from '../../../../appliance/sip/proxy/history-info.ts';

const OURS = '<sip:201@office.lan>;index=1, <sip:204@office.lan;cause=302>;index=1.1;mp=1';

describe('appendHistoryInfo (RFC 7044 §9.1)', () => {
  const cases: [string, string, string, string][] = [
    ['their last entry is the R-URI we retargeted: ours continue under it',
      '<sip:+15551230201@gw.example>;index=1, <sip:201@office.lan>;index=1.1;rc=1', OURS,
      '<sip:+15551230201@gw.example>;index=1, <sip:201@office.lan>;index=1.1;rc=1, <sip:204@office.lan;cause=302>;index=1.1.1;mp=1.1'],
    ['their last entry is another AOR: ours start as its child',
      '<sip:reception@gw.example>;index=1', OURS,
      '<sip:reception@gw.example>;index=1, <sip:201@office.lan>;index=1.1, <sip:204@office.lan;cause=302>;index=1.1.1;mp=1.1'],
    ['a recursed 3xx after our own forward: one more level',
      OURS, '<sip:204@office.lan>;index=1, <sip:205@office.lan;cause=302>;index=1.1;mp=1',
      `${OURS}, <sip:205@office.lan;cause=302>;index=1.1.1;mp=1.1`],
    ['theirs without an index: ours after theirs, unchanged', '<sip:x@y>', OURS, `<sip:x@y>, ${OURS}`],
    // The same AOR read by the SIP grammar: scheme and host in any case, a port, a header.
    ['their last entry is our R-URI spelled otherwise: ours continue under it',
      '<SIP:201@Office.LAN:5060?Reason=SIP%3Bcause%3D302>;index=1', OURS,
      '<SIP:201@Office.LAN:5060?Reason=SIP%3Bcause%3D302>;index=1, <sip:204@office.lan;cause=302>;index=1.1;mp=1'],
    // IPv6 hosts (RFC 5118): the old regex cut the host at its first ':' ("[2001"), so any two
    // users at IPv6 addresses compared as the same AOR.
    ['an IPv6 AOR is compared whole',
      '<sip:201@[2001:db8::1]>;index=1', '<sip:201@[2001:db8::2]>;index=1, <sip:204@office.lan;cause=302>;index=1.1;mp=1',
      '<sip:201@[2001:db8::1]>;index=1, <sip:201@[2001:db8::2]>;index=1.1, <sip:204@office.lan;cause=302>;index=1.1.1;mp=1.1'],
    ['a display name and commas in their URI parameters are kept', '"Desk" <sip:201@office.lan;x=a,b>;index=2', OURS,
      '"Desk" <sip:201@office.lan;x=a,b>;index=2, <sip:204@office.lan;cause=302>;index=2.1;mp=2'],
  ];
  for (const [name, theirs, ours, want] of cases) test(name, () => expect(appendHistoryInfo(theirs, ours)).toBe(want));
});

describe('lastEntryUser: the user part of the last entry, by the SIP grammar', () => {
  const rows: [string | undefined, string | undefined][] = [
    [OURS, '204'],
    ['<sip:201@office.lan>;index=1', '201'],
    ['<SIPS:Ab@office.lan:5061;transport=tcp>;index=1', 'Ab'],
    ['<sip:office.lan>;index=1', undefined],
    ['<tel:+4930123>;index=1', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  test.each(rows)('%p → %p', (value, user) => expect(lastEntryUser(value)).toBe(user));
});
