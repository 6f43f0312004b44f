import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import {
  applyRegister, contactKey, contactsForReply, type RegisterInput, type RegisterOutcome, type RegistrarSettings,
} from '../../../../appliance/sip/registrar/registrar-rules.ts';
import type { BindingRecord } from '../../../../system/store/index.ts';

/** The registrar's decision (RFC 3261 §10.3 steps 6 to 8) as a pure function. */
const NOW = 1_700_000_000_000;
const S: RegistrarSettings = { minExpires: 60, maxExpires: 7200, defaultExpires: 3600, maxContacts: 3 };
const AOR = 'sip:201@office.lan';
const PHONE = 'sip:201@192.168.1.21:5062;transport=udp';

type Contact = { uri: string; params: Record<string, string | null> };
const c = (uri: string, params: Record<string, string | null> = {}): Contact => ({ uri, params });

function input(contacts: RegisterInput['contacts'], over: Partial<RegisterInput> = {}): RegisterInput {
  return {
    aor: AOR, contacts, callId: 'call-1@192.168.1.21', cseq: 10, source: 'udp:192.168.1.21:5062',
    transport: 'udp', userAgent: 'Yealink SIP-T46S', now: NOW, ...over,
  };
}

function binding(contact: string, over: Partial<BindingRecord> = {}): BindingRecord {
  return {
    aor: AOR, contact, expiresAt: NOW + 1_800_000, q: 1, callId: 'call-1@192.168.1.21', cseq: 5,
    source: 'udp:192.168.1.21:5062', transport: 'udp', userAgent: 'Yealink SIP-T46S', version: NOW - 60_000,
    updatedAt: NOW - 60_000, ...over,
  };
}

const accepted = (o: RegisterOutcome) => {
  if (o.kind !== 'accept') throw new Error(`expected accept, got ${o.status} ${o.reason}`);
  return o;
};

describe('applyRegister: a REGISTER decoded from a real fixture', () => {
  test('first registration binds the Contact with its expires parameter (§10.3 step 7)', () => {
    const d = decodeMessage(readFileSync(join(import.meta.dir, '../../../fixtures/sip/register-compact.sip')));
    if (d.kind !== 'request') throw new Error('fixture did not decode');
    const h = d.msg.headers;
    const o = accepted(applyRegister(input(h.contact as Contact[], {
      callId: h['call-id'], cseq: h.cseq.seq, expiresHeader: Number(h.expires),
    }), [], S));
    expect(o.changes).toHaveLength(1);
    expect(o.bindings).toEqual([expect.objectContaining({
      aor: AOR, contact: PHONE, expiresAt: NOW + 3_600_000, q: 1, callId: '843817637684230@192.168.1.21', cseq: 1, version: NOW,
    })]);
    expect(o.changes[0]).toEqual({ kind: 'upsert', binding: o.bindings[0] });
  });
});

describe('applyRegister: expiry (§10.3 step 7, §20.19, §20.23)', () => {
  const rows: [string, Partial<RegisterInput>, Record<string, string | null>, number | { status: number; headers?: object }][] = [
    ['expires parameter wins over Expires header', { expiresHeader: 600 }, { expires: '120' }, 120],
    ['Expires header when no parameter', { expiresHeader: 600 }, {}, 600],
    ['registrar default when neither', {}, {}, 3600],
    ['clamped to max_expires', {}, { expires: '99999' }, 7200],
    ['exactly min_expires is fine', {}, { expires: '60' }, 60],
    ['below min_expires: 423 with Min-Expires', {}, { expires: '59' }, { status: 423, headers: { 'min-expires': '60' } }],
    ['Expires header below min: 423', { expiresHeader: 30 }, {}, { status: 423, headers: { 'min-expires': '60' } }],
    ['expires parameter not a number: 400', {}, { expires: 'soon' }, { status: 400 }],
    ['negative expires parameter: 400', {}, { expires: '-5' }, { status: 400 }],
  ];
  for (const [name, over, params, expected] of rows) {
    test(name, () => {
      const o = applyRegister(input([c(PHONE, params)], over), [], S);
      if (typeof expected === 'number') expect(accepted(o).bindings[0].expiresAt).toBe(NOW + expected * 1000);
      else expect(o).toMatchObject({ kind: 'reject', ...expected });
    });
  }
});

describe('applyRegister: refresh and removal', () => {
  const stored = binding(PHONE);

  test('refresh: same Call-ID, higher CSeq updates the binding with a higher version', () => {
    const o = accepted(applyRegister(input([c(PHONE)], { cseq: 6 }), [stored], S));
    expect(o.changes).toEqual([{ kind: 'upsert', binding: expect.objectContaining({ contact: PHONE, cseq: 6, version: NOW }) }]);
    expect(o.bindings).toHaveLength(1);
  });

  test('refresh of an equal URI spelled differently (scheme and host case) is the same binding (§19.1.4)', () => {
    const o = accepted(applyRegister(input([c('SIP:201@192.168.1.21:5062;transport=udp')], { cseq: 6 }), [stored], S));
    expect(o.bindings).toHaveLength(1);
  });

  const removals: [string, Partial<RegisterInput>, Record<string, string | null>][] = [
    ['expires=0 parameter', {}, { expires: '0' }],
    ['Expires: 0 header', { expiresHeader: 0 }, {}],
    ['expires=0 parameter beats a nonzero header', { expiresHeader: 3600 }, { expires: '0' }],
  ];
  for (const [name, over, params] of removals) {
    test(`remove by ${name}`, () => {
      const o = accepted(applyRegister(input([c(PHONE, params)], { cseq: 6, ...over }), [stored], S));
      expect(o.changes).toEqual([{ kind: 'remove', aor: AOR, contact: PHONE, version: NOW }]);
      expect(o.bindings).toEqual([]);
    });
  }

  test('expires=0 for a contact that is not bound changes nothing', () => {
    const o = accepted(applyRegister(input([c('sip:201@192.168.1.99', { expires: '0' })]), [stored], S));
    expect(o.changes).toEqual([]);
    expect(o.bindings).toEqual([stored]);
  });

  test('no Contact at all is a query: current bindings, no changes (§10.3 step 8)', () => {
    const o = accepted(applyRegister(input([]), [stored], S));
    expect(o).toEqual({ kind: 'accept', changes: [], bindings: [stored] });
  });
});

describe('applyRegister: Contact "*" (§10.3 step 6)', () => {
  const a = binding(PHONE);
  const b = binding('sip:201@192.168.1.30', { callId: 'other-call' });

  test('with Expires: 0 removes every binding', () => {
    const o = accepted(applyRegister(input('*', { expiresHeader: 0, cseq: 11 }), [a, b], S));
    expect(o.changes).toEqual([
      { kind: 'remove', aor: AOR, contact: PHONE, version: NOW },
      { kind: 'remove', aor: AOR, contact: 'sip:201@192.168.1.30', version: NOW },
    ]);
    expect(o.bindings).toEqual([]);
  });
  test('without Expires: 400', () => expect(applyRegister(input('*'), [a], S)).toMatchObject({ kind: 'reject', status: 400 }));
  test('with Expires: 3600: 400', () => expect(applyRegister(input('*', { expiresHeader: 3600 }), [a], S)).toMatchObject({ kind: 'reject', status: 400 }));
  test('same Call-ID, CSeq not higher: 500, nothing removed', () => {
    expect(applyRegister(input('*', { expiresHeader: 0, cseq: 5 }), [a, b], S)).toMatchObject({ kind: 'reject', status: 500 });
  });
});

describe('applyRegister: Call-ID and CSeq ordering (§10.3 step 7)', () => {
  const stored = binding(PHONE, { cseq: 5 });
  const rows: [string, string, number, 'accept' | 500][] = [
    ['same Call-ID, lower CSeq', 'call-1@192.168.1.21', 4, 500],
    ['same Call-ID, equal CSeq, other contents (the interval)', 'call-1@192.168.1.21', 5, 500],
    ['same Call-ID, higher CSeq', 'call-1@192.168.1.21', 6, 'accept'],
    ['different Call-ID, lower CSeq (phone rebooted)', 'call-2@192.168.1.21', 1, 'accept'],
  ];
  for (const [name, callId, cseq, expected] of rows) {
    test(`${name} → ${expected}`, () => {
      const o = applyRegister(input([c(PHONE)], { callId, cseq }), [stored], S);
      if (expected === 'accept') expect(o.kind).toBe('accept');
      else expect(o).toMatchObject({ kind: 'reject', status: 500, headers: { 'retry-after': '1' } });
    });
  }

  test('an expired binding is ignored: no ordering check, not returned', () => {
    const expired = binding(PHONE, { cseq: 50, expiresAt: NOW - 1 });
    const o = accepted(applyRegister(input([c(PHONE)], { cseq: 6 }), [expired], S));
    expect(o.bindings).toEqual([expect.objectContaining({ cseq: 6, version: NOW })]);
    expect(accepted(applyRegister(input([]), [expired], S)).bindings).toEqual([]);
  });
  test('a binding expiring exactly now is expired', () => {
    expect(accepted(applyRegister(input([]), [binding(PHONE, { expiresAt: NOW })], S)).bindings).toEqual([]);
  });
});

describe('applyRegister: a retransmission of a REGISTER already processed (equal CSeq, §10.3 step 7, §17.2.3)', () => {
  // What the original REGISTER (CSeq 10, Expires 3600 and a q, from the phone's flow) left, 60 s ago.
  const made = binding(PHONE, { cseq: 10, expiresAt: NOW - 60_000 + 3_600_000, updatedAt: NOW - 60_000, q: 0.8 });
  const other = binding('sip:201@192.168.1.30', { callId: 'desk-phone', cseq: 3 });
  const same = [c(PHONE, { q: '0.8' })];
  const rows: [string, RegisterInput['contacts'], Partial<RegisterInput>, readonly BindingRecord[], 'replay' | 500][] = [
    ['the same contact, q and interval: answered again', same, { expiresHeader: 3600 }, [made, other], 'replay'],
    ['the interval as an expires parameter: the same request', [c(PHONE, { q: '0.8', expires: '3600' })], {}, [made], 'replay'],
    ['the contact spelled with another case: the same binding', [c('SIP:201@192.168.1.21:5062;transport=udp', { q: '0.8' })], { expiresHeader: 3600 }, [made], 'replay'],
    ['an interval over max_expires, capped as the original was', [c(PHONE, { q: '0.8' })], { expiresHeader: 99_999 }, [binding(PHONE, { cseq: 10, expiresAt: NOW + 7_200_000, updatedAt: NOW, q: 0.8 })], 'replay'],
    ['a removal in it that already took effect', [...same, c('sip:201@10.9.9.9', { expires: '0' })], { expiresHeader: 3600 }, [made], 'replay'],
    ['another interval', same, { expiresHeader: 1800 }, [made], 500],
    ['another q', [c(PHONE)], { expiresHeader: 3600 }, [made], 500],
    ['one more contact', [...same, c('sip:201@10.9.9.9')], { expiresHeader: 3600 }, [made], 500],
    ['one contact fewer than it bound', same, { expiresHeader: 3600 }, [made, binding('sip:201@10.9.9.9', { cseq: 10, expiresAt: made.expiresAt, updatedAt: made.updatedAt })], 500],
    ['a removal of the contact it bound', [c(PHONE, { expires: '0' })], {}, [made], 500],
    ['from another flow', same, { expiresHeader: 3600, source: 'udp:192.168.1.21:6000' }, [made], 500],
    ['a lower CSeq', same, { expiresHeader: 3600, cseq: 9 }, [made], 500],
  ];
  for (const [name, contacts, over, stored, expected] of rows) {
    test(`${name} → ${expected}`, () => {
      const o = applyRegister(input(contacts, over), stored, S);
      if (expected === 500) {
        expect(o).toMatchObject({ kind: 'reject', status: 500, reason: 'Out of order REGISTER' });
        return;
      }
      const a = accepted(o);
      // Nothing is rewritten; the 200 lists the current bindings, as the original's did.
      expect(a.changes).toEqual([]);
      expect(a.replayed).toEqual([stored[0]]);
      expect(a.bindings).toEqual([...stored].sort((x, y) => y.q - x.q));
    });
  }

  test('a higher CSeq with the same contents is a refresh, not a retransmission', () => {
    const o = accepted(applyRegister(input(same, { expiresHeader: 3600, cseq: 11 }), [made], S));
    expect(o.replayed).toBeUndefined();
    expect(o.changes).toEqual([{ kind: 'upsert', binding: expect.objectContaining({ cseq: 11, expiresAt: NOW + 3_600_000 }) }]);
  });
});

describe('applyRegister: several contacts, q, limits', () => {
  test('bindings come back highest q first (§10.2.1.2, §20.10)', () => {
    const o = accepted(applyRegister(input([
      c('sip:201@10.0.0.1', { q: '0.5' }), c('sip:201@10.0.0.2'), c('sip:201@10.0.0.3', { q: '0.8' }),
    ]), [], S));
    expect(o.bindings.map((b) => [b.contact, b.q])).toEqual([['sip:201@10.0.0.2', 1], ['sip:201@10.0.0.3', 0.8], ['sip:201@10.0.0.1', 0.5]]);
  });

  const qs: [string, number | 400][] = [['0', 0], ['0.001', 0.001], ['1.000', 1], ['1', 1], ['0.5', 0.5], ['1.5', 400], ['0.1234', 400], ['-0.1', 400], ['abc', 400], ['', 400]];
  for (const [q, expected] of qs) {
    test(`q=${JSON.stringify(q)} → ${expected} (§20.10 qvalue: 0 to 1, three decimals)`, () => {
      const o = applyRegister(input([c(PHONE, { q })]), [], S);
      if (expected === 400) expect(o).toMatchObject({ kind: 'reject', status: 400 });
      else expect(accepted(o).bindings[0].q).toBe(expected);
    });
  }

  test('more contacts than max_contacts: rejected, stored ones counted', () => {
    const stored = [binding('sip:201@10.0.0.1'), binding('sip:201@10.0.0.2')];
    expect(applyRegister(input([c('sip:201@10.0.0.3')]), stored, S).kind).toBe('accept');
    expect(applyRegister(input([c('sip:201@10.0.0.3'), c('sip:201@10.0.0.4')]), stored, S)).toMatchObject({ kind: 'reject', status: 403 });
  });
  test('removing one and adding one at the limit is fine', () => {
    const stored = [binding('sip:201@10.0.0.1'), binding('sip:201@10.0.0.2'), binding('sip:201@10.0.0.3')];
    const o = accepted(applyRegister(input([c('sip:201@10.0.0.1', { expires: '0' }), c('sip:201@10.0.0.4')], { cseq: 6 }), stored, S));
    expect(o.bindings.map((b) => b.contact).sort()).toEqual(['sip:201@10.0.0.2', 'sip:201@10.0.0.3', 'sip:201@10.0.0.4']);
  });
  test('expired bindings do not count toward the limit', () => {
    const stored = [1, 2, 3].map((i) => binding(`sip:201@10.0.0.${i}`, { expiresAt: NOW - 1000 }));
    expect(applyRegister(input([c('sip:201@10.0.0.4')]), stored, S).kind).toBe('accept');
  });
});

describe('applyRegister: versions only go up', () => {
  const rows: [string, number, number][] = [
    ['stored version older than now: now', NOW - 5000, NOW],
    ['stored version from a clock ahead: stored + 1', NOW + 5000, NOW + 5001],
    ['stored version equal to now: now + 1', NOW, NOW + 1],
  ];
  for (const [name, version, expected] of rows) {
    test(name, () => {
      const stored = binding(PHONE, { version });
      expect(accepted(applyRegister(input([c(PHONE)], { cseq: 6 }), [stored], S)).bindings[0].version).toBe(expected);
      expect(accepted(applyRegister(input([c(PHONE, { expires: '0' })], { cseq: 6 }), [stored], S)).changes[0]).toMatchObject({ version: expected });
    });
  }
});

describe('contactKey (RFC 3261 §19.1.4, simplified)', () => {
  const same: [string, string][] = [
    ['sip:201@192.168.1.21:5062', 'SIP:201@192.168.1.21:5062'],
    ['sip:201@Phone.Office.LAN', 'sip:201@phone.office.lan'],
    [' sip:201@h ', 'sip:201@h'],
  ];
  const different: [string, string][] = [
    ['sip:Alice@h', 'sip:alice@h'], // the user part is case-sensitive
    ['sip:201@h:5060', 'sip:201@h:5062'],
    ['sip:201@h', 'sips:201@h'],
    ['sip:201@h;transport=tcp', 'sip:201@h'],
  ];
  for (const [a, b] of same) test(`${a} ≡ ${b}`, () => expect(contactKey(a)).toBe(contactKey(b)));
  for (const [a, b] of different) test(`${a} ≠ ${b}`, () => expect(contactKey(a)).not.toBe(contactKey(b)));
});

describe('contactsForReply (§10.3 step 8)', () => {
  test('remaining seconds, rounded; q only when not 1; never negative', () => {
    expect(contactsForReply([
      binding('sip:201@10.0.0.1', { expiresAt: NOW + 3_599_600 }),
      binding('sip:201@10.0.0.2', { expiresAt: NOW + 60_000, q: 0.5 }),
      binding('sip:201@10.0.0.3', { expiresAt: NOW - 10_000 }),
    ], NOW)).toEqual([
      { uri: 'sip:201@10.0.0.1', params: { expires: '3600' } },
      { uri: 'sip:201@10.0.0.2', params: { expires: '60', q: '0.5' } },
      { uri: 'sip:201@10.0.0.3', params: { expires: '0' } },
    ]);
  });
});
