import { describe, expect, test } from 'bun:test';
import { expiredEvent, registrationEvents } from '../../../../appliance/sip/registrar/registration-events.ts';
import { applyRegister } from '../../../../appliance/sip/registrar/registrar-rules.ts';
import { extensionOfAor } from '../../../../appliance/sip/registrar/registered-contacts-view.ts';
import { parseSipUri } from '../../../../appliance/sip/message/uri.ts';
import type { BindingRecord } from '../../../../system/store/index.ts';

/**
 * What a REGISTER writes to the event log: new and gone bindings only, never a refresh
 * (100 phones refreshing would flood it), from the changes the pure registrar decided.
 */
const NOW = 1_800_000_000_000;
const SETTINGS = { defaultExpires: 3600, minExpires: 60, maxExpires: 7200, maxContacts: 5 };
const AOR = 'sip:201@office.lan';

function register(before: BindingRecord[], contacts: string[] | '*', expires: number, callId = 'c1', cseq = 1, now = NOW) {
  const outcome = applyRegister({
    aor: AOR, contacts: contacts === '*' ? '*' : contacts.map((uri) => ({ uri, params: {} })), expiresHeader: expires, callId, cseq,
    source: 'udp:192.168.1.20:5060', transport: 'udp', userAgent: 'Yealink T54W', now,
  } as Parameters<typeof applyRegister>[0], before, SETTINGS as Parameters<typeof applyRegister>[2]);
  if (outcome.kind !== 'accept') throw new Error(`rejected: ${outcome.status}`);
  return { events: registrationEvents(before, outcome.changes), bindings: outcome.bindings };
}

describe('registration events', () => {
  test('a new binding, its refreshes (same or new Call-ID), a second contact, then Expires 0 and *', () => {
    const first = register([], ['sip:201@192.168.1.20:5060'], 3600);
    expect(first.events).toEqual([{
      kind: 'sip.registration.new', message: 'extension 201 registered sip:201@192.168.1.20:5060 from udp 192.168.1.20:5060 (Yealink T54W)',
      details: { extension: '201', contact: 'sip:201@192.168.1.20:5060', source: 'udp:192.168.1.20:5060', userAgent: 'Yealink T54W', expiresInSeconds: 3600 },
    }]);
    // Refreshes: the same Call-ID with a higher CSeq, and a rebooted phone's new Call-ID.
    const refresh = register(first.bindings, ['sip:201@192.168.1.20:5060'], 3600, 'c1', 2, NOW + 1000);
    expect(refresh.events).toEqual([]);
    expect(register(refresh.bindings, ['sip:201@192.168.1.20:5060'], 3600, 'c2', 1, NOW + 2000).events).toEqual([]);
    const two = register(refresh.bindings, ['sip:201@192.168.1.20:5060', 'sip:201@10.0.0.9:5062'], 3600, 'c1', 3, NOW + 3000);
    expect(two.events.map((e) => e.message)).toEqual(['extension 201 registered sip:201@10.0.0.9:5062 from udp 192.168.1.20:5060 (Yealink T54W)']);
    const gone = register(two.bindings, ['sip:201@10.0.0.9:5062'], 0, 'c1', 4, NOW + 4000);
    expect(gone.events).toEqual([{ kind: 'sip.registration.gone', message: 'extension 201 unregistered sip:201@10.0.0.9:5062', details: { extension: '201', contact: 'sip:201@10.0.0.9:5062', cause: 'unregistered by the phone' } }]);
    expect(register(gone.bindings, '*', 0, 'c1', 5, NOW + 5000).events.map((e) => e.kind)).toEqual(['sip.registration.gone']);
  });
  test('a password in a contact is not written', () => {
    const e = register([], ['sip:201:secret@192.168.1.20:5060'], 3600).events[0]!;
    expect(e.message).not.toContain('secret');
    expect(JSON.stringify(e.details)).not.toContain('secret');
  });
  test('100 phones refreshing write nothing', () => {
    let total = 0;
    for (let i = 0; i < 100; i++) {
      const contact = `sip:201@192.168.1.${i}:5060`;
      const bound = register([], [contact], 3600, `c${i}`).bindings;
      total += register(bound, [contact], 3600, `c${i}`, 2, NOW + 600_000).events.length;
    }
    expect(total).toBe(0);
  });
});

describe('expired bindings: one entry per purge', () => {
  test('none: nothing', () => expect(expiredEvent([])).toBeNull());
  test('one', () => {
    expect(expiredEvent([{ aor: 'sip:201@office.lan', contact: 'sip:201@192.168.1.20:5060' }])!.message).toBe('registration expired (not refreshed): extension 201');
  });
  test('a power cut: every phone in one entry, the list bounded', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ aor: `sip:${230 - i}@office.lan`, contact: `sip:${230 - i}@192.168.1.${i}:5060` }));
    const e = expiredEvent(rows)!;
    expect(e.message).toBe(`30 registrations expired (not refreshed): extensions ${Array.from({ length: 20 }, (_, i) => 201 + i).join(', ')} and 10 more`);
    expect((e.details.contacts as string[]).length).toBe(20);
  });
});

/**
 * The extension an event names is read off the AOR by the SIP grammar (message/uri.ts), not a
 * regex of its own (issue 13 item 5): the same user part the parser gives, and for an AOR of
 * ours the same as extensionOfAor (the DNS view, the admin API). `before`: what the old
 * `/^sips?:([^@]+)@/i` gave, where it differed.
 */
const AORS: [aor: string, named: string, ours: boolean, before?: string][] = [
  ['sip:201@office.lan', '201', true],
  ['sips:201@office.lan', '201', true],
  ['SIP:201@Office.LAN', '201', true],
  ['sip:Ab@office.lan', 'Ab', true], // the user part keeps its case (RFC 3261 §19.1.4)
  ['sip:201;x=1@office.lan', '201;x=1', true], // ';' is user-unreserved (§25.1)
  ['sip:201@office.lan;transport=tcp', '201', false],
  ['sip:201@office.lan:5062', '201', false],
  ['sip:201@[2001:db8::1]:5062', '201', false],
  ['sip:201:secret@office.lan', '201', false, '201:secret'], // a password never reaches the log
  ['sip:201@other.example', '201', false],
  // Not a SIP URI with a user: named as it is.
  ['sip:20@1@office.lan', 'sip:20@1@office.lan', false, '20'],
  ['sip:@office.lan', 'sip:@office.lan', false],
  ['sip:office.lan', 'sip:office.lan', false],
  ['tel:+4930123', 'tel:+4930123', false],
  ['sip:a b@office.lan', 'sip:a b@office.lan', false, 'a b'],
  ['', '', false],
];

describe('the extension an event names, by the SIP grammar', () => {
  test.each(AORS)('%p → %p', (aor, named, ours) => {
    const expired = expiredEvent([{ aor, contact: 'sip:p@192.0.2.1' }])!;
    expect(expired.details.extensions).toEqual([named]);
    const gone = registrationEvents([], [{ kind: 'remove', aor, contact: 'sip:p@192.0.2.1', version: 1 }])[0]!;
    expect(gone.details.extension).toBe(named);
    const binding = { aor, contact: 'sip:p@192.0.2.1', expiresAt: NOW + 60_000, q: 1, callId: 'c', cseq: 1, source: 'udp:192.0.2.1:5060', transport: 'udp', userAgent: '', version: 1, updatedAt: NOW };
    expect(registrationEvents([], [{ kind: 'upsert', binding }])[0]!.details.extension).toBe(named);
    // The one grammar: the parser's user part, and extensionOfAor for an AOR of ours.
    expect(named).toBe(parseSipUri(aor)?.user ?? aor);
    expect(extensionOfAor(aor, 'office.lan')).toBe(ours ? named : undefined);
  });
});
