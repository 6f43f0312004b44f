import { describe, expect, test } from 'bun:test';
import { appendHistoryInfo } from '../../../../appliance/sip/proxy/history-info.ts';

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
    ['a display name and commas in their URI parameters are kept', '"Desk" <sip:201@office.lan;x=a,b>;index=2', OURS,
      '"Desk" <sip:201@office.lan;x=a,b>;index=2, <sip:204@office.lan;cause=302>;index=2.1;mp=2'],
  ];
  for (const [name, theirs, ours, want] of cases) test(name, () => expect(appendHistoryInfo(theirs, ours)).toBe(want));
});
