import { describe, expect, test } from 'bun:test';
import { checkPeerChanges, ourUser, type PeerBindingRules, type PeerRejectReason } from '../../../appliance/peers/peer-binding-rules.ts';
import { RejectionLog } from '../../../appliance/peers/rejection-log.ts';
import type { BindingChange, BindingRecord } from '../../../system/store/index.ts';

/** The checks a replicated binding passes before it is applied (issue 10 finding 9), as a table. */
const NOW = 1_700_000_000_000;
const MAX_EXPIRES = 7200;
const AOR = 'sip:201@office.lan';

function binding(over: Partial<BindingRecord> = {}): BindingRecord {
  return {
    aor: AOR, contact: 'sip:201@192.168.1.21:5062', expiresAt: NOW + 600_000, q: 1, callId: 'c1@192.168.1.21', cseq: 3,
    source: 'udp:192.168.1.21:5062', transport: 'udp', userAgent: 'Yealink SIP-T46S', version: NOW - 1000, updatedAt: NOW - 1000, ...over,
  };
}
const upsert = (over: Partial<BindingRecord> = {}): BindingChange => ({ kind: 'upsert', binding: binding(over) });

function rules(held: BindingRecord[] = [], maxContacts = 3): PeerBindingRules {
  return {
    domain: 'office.lan', maxExpiresSeconds: MAX_EXPIRES, maxContacts,
    extensionExists: (n) => ['201', '202'].includes(n),
    currentBindings: () => held,
  };
}

type Row = [name: string, change: unknown, outcome: 'accept' | PeerRejectReason];
const TABLE: Row[] = [
  ['a binding of an existing extension', upsert(), 'accept'],
  ['an IPv6 source', upsert({ source: 'udp:fd00::21:5062', contact: 'sip:201@[fd00::21]:5062' }), 'accept'],
  ['sips contact over TCP', upsert({ contact: 'sips:201@phone.office.lan;transport=tcp', source: 'tcp:192.168.1.21:40001', transport: 'tcp' }), 'accept'],
  ['the wpad attack: an AOR no extension has', upsert({ aor: 'sip:wpad@office.lan', contact: 'sip:wpad@10.66.66.66' }), 'foreign-aor'],
  ['an extension that does not exist here', upsert({ aor: 'sip:299@office.lan' }), 'unknown-extension'],
  ['another domain', upsert({ aor: 'sip:201@evil.example' }), 'foreign-aor'],
  ['a tel AOR', upsert({ aor: 'tel:+442071234567' }), 'foreign-aor'],
  ['an AOR with parameters', upsert({ aor: 'sip:201@office.lan;maddr=10.66.66.66' }), 'foreign-aor'],
  ['domain in other case', upsert({ aor: 'sip:201@OFFICE.lan' }), 'accept'],
  ['contact is not a SIP URI', upsert({ contact: 'http://10.66.66.66/' }), 'bad-contact'],
  ['contact with CRLF (header injection)', upsert({ contact: 'sip:201@10.0.0.1\r\nX-Evil: 1' }), 'bad-contact'],
  ['contact with a space', upsert({ contact: 'sip:201@10.0.0.1 ;x' }), 'bad-contact'],
  ['contact far too long', upsert({ contact: `sip:${'a'.repeat(2000)}@10.0.0.1` }), 'bad-contact'],
  ['contact with port 0', upsert({ contact: 'sip:201@10.0.0.1:0' }), 'bad-contact'],
  ['source not an address', upsert({ source: 'udp:evil.example:5060' }), 'bad-source'],
  ['source port out of range', upsert({ source: 'udp:10.0.0.1:70000' }), 'bad-source'],
  ['source transport unknown', upsert({ source: 'sctp:10.0.0.1:5060', transport: 'sctp' }), 'bad-source'],
  ['source transport differs from the binding', upsert({ source: 'tcp:10.0.0.1:5060', transport: 'udp' }), 'bad-source'],
  ['already expired', upsert({ expiresAt: NOW - 1 }), 'expired'],
  ['expiry not a number', upsert({ expiresAt: 'soon' as unknown as number }), 'malformed'],
  ['version beyond a day ahead', upsert({ version: NOW + 2 * 86_400_000 }), 'malformed'],
  ['version not an integer', upsert({ version: 1.5 }), 'malformed'],
  ['q above 1', upsert({ q: 7 }), 'malformed'],
  ['cseq negative', upsert({ cseq: -1 }), 'malformed'],
  ['Call-ID empty', upsert({ callId: '' }), 'malformed'],
  ['not an object', 'upsert everything', 'malformed'],
  ['unknown kind', { kind: 'replace-all' }, 'malformed'],
  ['upsert without binding', { kind: 'upsert' }, 'malformed'],
  ['removal of a binding of ours', { kind: 'remove', aor: AOR, contact: 'sip:201@192.168.1.21:5062', version: NOW }, 'accept'],
  ['removal for a removed extension (still allowed)', { kind: 'remove', aor: 'sip:299@office.lan', contact: 'sip:299@10.0.0.9', version: NOW }, 'accept'],
  ['removal of another domain', { kind: 'remove', aor: 'sip:201@evil.example', contact: 'sip:x@10.0.0.9', version: NOW }, 'foreign-aor'],
  ['removal without version', { kind: 'remove', aor: AOR, contact: 'sip:201@10.0.0.9' }, 'malformed'],
];

describe('checkPeerChanges: one change at a time', () => {
  for (const [name, change, outcome] of TABLE) {
    test(`${name} → ${outcome}`, () => {
      const v = checkPeerChanges([change], rules(), NOW);
      if (outcome === 'accept') {
        expect(v.rejectedCount).toBe(0);
        expect(v.accepted).toHaveLength(1);
      } else {
        expect(v.accepted).toHaveLength(0);
        expect(v.rejected).toEqual({ [outcome]: 1 });
      }
    });
  }
});

describe('checkPeerChanges: limits', () => {
  test('expiry beyond max_expires is clamped to max_expires from now', () => {
    const v = checkPeerChanges([upsert({ expiresAt: NOW + 365 * 86_400_000 })], rules(), NOW);
    expect(v.clamped).toBe(1);
    expect(v.accepted[0]).toMatchObject({ kind: 'upsert', binding: { expiresAt: NOW + MAX_EXPIRES * 1000 } });
  });

  test('at most maxContacts contacts per AOR, counting those held here', () => {
    const held = [binding({ contact: 'sip:201@10.0.0.1' }), binding({ contact: 'sip:201@10.0.0.2' })];
    const batch = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((a) => upsert({ contact: `sip:201@${a}` }));
    const v = checkPeerChanges(batch, rules(held, 3), NOW);
    // 10.0.0.2 is a refresh of a held contact, 10.0.0.3 fills the third place, the rest are refused.
    expect(v.accepted.map((c) => (c.kind === 'upsert' ? c.binding.contact : ''))).toEqual(['sip:201@10.0.0.2', 'sip:201@10.0.0.3']);
    expect(v.rejected).toEqual({ 'too-many-contacts': 2 });
  });

  test('a removal in the same batch frees a place; expired held bindings do not count', () => {
    const held = [binding({ contact: 'sip:201@10.0.0.1' }), binding({ contact: 'sip:201@10.0.0.9', expiresAt: NOW - 5 })];
    const batch: BindingChange[] = [
      upsert({ contact: 'sip:201@10.0.0.2' }),
      { kind: 'remove', aor: AOR, contact: 'sip:201@10.0.0.1', version: NOW },
      upsert({ contact: 'sip:201@10.0.0.3' }),
    ];
    const v = checkPeerChanges(batch, rules(held, 2), NOW);
    expect(v.rejectedCount).toBe(0);
    expect(v.accepted).toHaveLength(3);
  });

  test('other AORs have their own limit', () => {
    const batch = [upsert({ contact: 'sip:201@10.0.0.1' }), upsert({ aor: 'sip:202@office.lan', contact: 'sip:202@10.0.0.2' })];
    expect(checkPeerChanges(batch, rules([], 1), NOW).accepted).toHaveLength(2);
  });

  test('a body that is not a list is one malformed change; only the stored fields are kept', () => {
    expect(checkPeerChanges({ changes: 'x' }, rules(), NOW)).toMatchObject({ accepted: [], rejected: { malformed: 1 } });
    const extra = { kind: 'upsert', binding: { ...binding(), userAgent: 'u'.repeat(500), evil: true }, also: 1 };
    const v = checkPeerChanges([extra], rules(), NOW);
    const b = (v.accepted[0] as unknown as { binding: Record<string, unknown> }).binding;
    expect(b.evil).toBeUndefined();
    expect((b.userAgent as string).length).toBe(200);
  });

  test('a flow holder is kept only for a member we know, with a token of the right shape (issue 19)', () => {
    const token = 'flow.dGNwOjE5Mi4xNjguMS4yMTo0MDAwMQ.0123456789abcdef0123';
    const tcp = { source: 'tcp:192.168.1.21:40001', transport: 'tcp' };
    const withRules = { ...rules(), members: new Set(['a', 'b']) };
    const rows: [unknown, unknown][] = [
      [{ member: 'b', token }, { member: 'b', token }],
      [{ member: 'z', token }, undefined],
      [{ member: 'b', token: 'flow.x@evil.com;lr' }, undefined],
      [{ member: 'b', token: `${token}\r\nX-Evil: 1` }, undefined],
      [{ member: 'b' }, undefined],
      ['b', undefined],
      [undefined, undefined],
    ];
    for (const [heldBy, kept] of rows) {
      const v = checkPeerChanges([{ kind: 'upsert', binding: { ...binding(tcp), heldBy } }], withRules, NOW);
      expect(v.rejectedCount).toBe(0);
      expect((v.accepted[0] as { binding: BindingRecord }).binding.heldBy).toEqual(kept as BindingRecord['heldBy']);
    }
    // Without the member list nothing is believed.
    const v = checkPeerChanges([{ kind: 'upsert', binding: { ...binding(tcp), heldBy: { member: 'b', token } } }], rules(), NOW);
    expect((v.accepted[0] as { binding: BindingRecord }).binding.heldBy).toBeUndefined();
  });

  test('an AOR whose domain differs in case is stored under the canonical AOR', () => {
    const v = checkPeerChanges([upsert({ aor: 'sip:201@OFFICE.lan' }), { kind: 'remove', aor: 'sip:202@Office.LAN', contact: 'sip:202@10.0.0.2', version: NOW }], rules(), NOW);
    expect(v.accepted.map((c) => (c.kind === 'upsert' ? c.binding.aor : c.aor))).toEqual([AOR, 'sip:202@office.lan']);
  });

  test('ourUser reads only sip:<digits>@<domain>', () => {
    expect(ourUser('sip:201@office.lan', 'office.lan')).toBe('201');
    expect(ourUser('sips:201@office.lan', 'office.lan')).toBeUndefined();
    expect(ourUser('sip:201@office.lan.evil', 'office.lan')).toBeUndefined();
    expect(ourUser('sip:a:b@office.lan', 'office.lan')).toBeUndefined();
  });

  // ourUser reads the AOR with the SIP grammar (extensionOfAor, issue 13 item 5), not a regex of
  // its own. `before`: that regex (peer-binding-rules.ts at 9bfd7b3), kept here to compare.
  const before = (aor: string, domain: string) => {
    const m = /^sip:([0-9]{1,32})@([^@;?:]+)$/.exec(aor);
    return m && m[2].toLowerCase() === domain.toLowerCase() ? m[1] : undefined;
  };
  const AORS: [aor: string, user: string | undefined, before: 'same' | string | undefined][] = [
    ['sip:201@office.lan', '201', 'same'],
    ['sip:201@Office.LAN', '201', 'same'],
    ['sip:0123456789012345678901234567890@office.lan', '0123456789012345678901234567890', 'same'],
    ['sip:012345678901234567890123456789012@office.lan', undefined, 'same'], // 33 digits
    // RFC 3261 §19.1.4: the scheme compares case-insensitively; stored as sip:201@office.lan.
    ['SIP:201@office.lan', '201', undefined],
    ['Sip:201@OFFICE.LAN', '201', undefined],
    // A sips AOR is another AOR (§19.1.4), and our registrar writes only sip: ones.
    ['sips:201@office.lan', undefined, 'same'],
    ['SIPS:201@office.lan', undefined, 'same'],
    ['sip:Ab@office.lan', undefined, 'same'],
    ['sip:201;x=1@office.lan', undefined, 'same'], // a user with ';' (RFC 4475 §3.1.1.9)
    ['sip:%32%30%31@office.lan', undefined, 'same'], // escaped digits: not what a registrar writes
    ['sip:201:pw@office.lan', undefined, 'same'],
    ['sip:201@office.lan:5060', undefined, 'same'],
    ['sip:201@office.lan;transport=tcp', undefined, 'same'],
    ['sip:201@office.lan?subject=x', undefined, 'same'],
    ['sip:201@[2001:db8::1]', undefined, 'same'],
    ['sip:201@office.lan.', undefined, 'same'],
    ['sip:20@1@office.lan', undefined, 'same'],
    [' sip:201@office.lan', undefined, 'same'],
    ['tel:+4930201', undefined, 'same'],
    ['<sip:201@office.lan>', undefined, 'same'],
  ];
  test.each(AORS)('ourUser(%p) → %p (before: %p)', (aor, user, was) => {
    expect(ourUser(aor, 'office.lan')).toBe(user);
    expect(ourUser(aor, 'OFFICE.lan')).toBe(user);
    expect(before(aor, 'office.lan')).toBe(was === 'same' ? user : was);
  });

  test('an upper-case scheme from a peer is stored under the canonical AOR', () => {
    const v = checkPeerChanges([upsert({ aor: 'SIP:201@office.lan' })], rules(), NOW);
    expect(v.rejectedCount).toBe(0);
    expect((v.accepted[0] as { binding: BindingRecord }).binding.aor).toBe(AOR);
  });
});

describe('RejectionLog: once per batch, rate limited per peer', () => {
  const verdict = (n: number) => ({ accepted: [], rejected: { 'unknown-extension': n }, rejectedCount: n, clamped: 0 });

  test('first batch logged at once, later ones summed into one event per interval', async () => {
    const events: { kind: string; details?: Record<string, unknown> }[] = [];
    const log = new RejectionLog((kind, _m, details) => events.push({ kind, details }), 80);
    log.note('a', verdict(3));
    expect(events).toHaveLength(1);
    for (let i = 0; i < 50; i++) log.note('a', verdict(1));
    log.note('b', verdict(2));
    expect(events).toHaveLength(2); // peer b has its own budget
    await Bun.sleep(150);
    expect(events).toHaveLength(3);
    expect(events[2].details).toMatchObject({ peer: 'a', refused: 50, batches: 50 });
    expect(log.totals.get('a')).toEqual({ 'unknown-extension': 53 });
    log.note('a', verdict(0));
    log.stop();
    expect(events).toHaveLength(3);
  });
});
