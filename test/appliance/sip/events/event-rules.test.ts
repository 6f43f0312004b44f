import { describe, expect, test } from 'bun:test';
import { decideSubscribe, eventPackage, type SubscribeInput } from '../../../../appliance/sip/events/subscribe-rules.ts';
import { dialogInfo, pidf } from '../../../../appliance/sip/events/event-bodies.ts';
import { choosePickup, pickupCode, pickupGroupOf } from '../../../../appliance/sip/events/pickup-rules.ts';
import type { LampDialog } from '../../../../appliance/sip/events/lamp-board.ts';
import type { SubscriptionRecord } from '../../../../system/store/index.ts';
import { statusFor, type ErrorCode } from '../../../../system/errors/index.ts';

const sub = { id: 's', subscriber: '201', target: '202' } as SubscriptionRecord;
const input = (o: Partial<SubscribeInput>): SubscribeInput => ({
  event: 'dialog', expiresHeader: undefined, accept: undefined, existing: undefined, inDialog: false, subscriber: '201', target: '202', held: 0, ...o,
});

describe('SUBSCRIBE rules (RFC 6665 §4.2.1)', () => {
  test.each([
    ['no Expires: the package default 3600', input({}), { kind: 'create', expires: 3600 }],
    ['Expires 600', input({ expiresHeader: '600' }), { kind: 'create', expires: 600 }],
    ['huge Expires: cut to 3600', input({ expiresHeader: '4000000000' }), { kind: 'create', expires: 3600 }],
    ['Expires 30: 423 with Min-Expires', input({ expiresHeader: '30' }), { kind: 'reject', status: 423, headers: { 'min-expires': '60' } }],
    ['garbage Expires: 400', input({ expiresHeader: '1e3' }), { kind: 'reject', status: 400 }],
    ['negative Expires: 400', input({ expiresHeader: '-1' }), { kind: 'reject', status: 400 }],
    ['Expires 0 on a new one: a fetch', input({ expiresHeader: '0' }), { kind: 'end' }],
    ['Accept without dialog-info: 406', input({ accept: 'application/pidf+xml' }), { kind: 'reject', status: 406 }],
    ['Accept application/*', input({ accept: 'application/*' }), { kind: 'create', expires: 3600 }],
    ['presence with Accept pidf', input({ event: 'presence', accept: 'application/pidf+xml' }), { kind: 'create', expires: 3600 }],
    ['not an extension: 404', input({ target: undefined }), { kind: 'reject', status: 404 }],
    ['the 65th: 403', input({ held: 64 }), { kind: 'reject', status: 403 }],
    ['refresh', input({ inDialog: true, existing: sub, expiresHeader: '120' }), { kind: 'refresh', expires: 120 }],
    ['unsubscribe', input({ inDialog: true, existing: sub, expiresHeader: '0' }), { kind: 'end' }],
    ['refresh a refresh of no subscription: 481', input({ inDialog: true }), { kind: 'reject', status: 481 }],
    ['refresh of another extension\'s subscription: 481', input({ inDialog: true, existing: sub, subscriber: '203' }), { kind: 'reject', status: 481 }],
    ['a refresh is not counted against the limit', input({ inDialog: true, existing: sub, held: 64 }), { kind: 'refresh', expires: 3600 }],
  ] as const)('%s', (_n, i, expected) => {
    expect(decideSubscribe(i)).toMatchObject(expected);
  });

  // The refusals that are errors take their status from the one error map (issue 13 item 4);
  // 481 (no such subscription) is the dialog matching's own answer, as the transaction stage's.
  test.each([
    ['Expires 30', input({ expiresHeader: '30' }), 'interval-too-brief'],
    ['garbage Expires', input({ expiresHeader: '1e3' }), 'malformed-message'],
    ['Accept without dialog-info', input({ accept: 'application/pidf+xml' }), 'not-acceptable'],
    ['not an extension', input({ target: undefined }), 'not-found'],
    ['the 65th', input({ held: 64 }), 'forbidden'],
  ] as [string, SubscribeInput, ErrorCode][])('%s: the status of %p in the error map', (_n, i, code) => {
    const d = decideSubscribe(i);
    expect(d.kind).toBe('reject');
    expect(d.kind === 'reject' && d.status).toBe(statusFor(code).sip);
  });

  test.each([
    ['dialog', { event: 'dialog', id: '' }],
    ['Dialog;id=k1', { event: 'dialog', id: 'k1' }],
    ['presence', { event: 'presence', id: '' }],
    ['message-summary', undefined],
    ['dialog;id=<script>', undefined],
    [undefined, undefined],
  ] as const)('Event %p', (raw, expected) => {
    expect(eventPackage(raw)).toEqual(expected);
  });
});

const d = (o: Partial<LampDialog>): LampDialog => ({
  id: 'i1', callId: 'c1', localTag: 'b', remoteTag: 'a', direction: 'recipient', state: 'early', peer: 'sip:201@office.lan', since: 0, worker: 1, ...o,
});

describe('NOTIFY bodies', () => {
  test('dialog-info (RFC 4235 §4.1): full state, version, one dialog per dialog, peers escaped', () => {
    const x = dialogInfo('sip:202@office.lan', 7, [d({ peer: 'sip:"evil"<x>@office.lan' })]);
    expect(x).toContain('<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:202@office.lan">');
    expect(x).toContain('<dialog id="i1" call-id="c1" local-tag="b" remote-tag="a" direction="recipient">');
    expect(x).toContain('<state>early</state>');
    expect(x).toContain('<identity>sip:&quot;evil&quot;&lt;x&gt;@office.lan</identity>');
    expect(x).not.toContain('<x>');
  });
  test('PIDF (RFC 3863): open, on-the-phone in a call', () => {
    expect(pidf('sip:202@office.lan', [])).toContain('<note>Available</note>');
    const busy = pidf('sip:202@office.lan', [d({ state: 'confirmed' })]);
    expect(busy).toContain('<basic>open</basic>');
    expect(busy).toContain('<rpid:on-the-phone/>');
    expect(busy).toContain('<note>On the phone</note>');
  });
});

describe('call pickup rules', () => {
  test.each([
    ['**202', { kind: 'directed', extension: '202' }],
    ['*8', { kind: 'group' }],
    ['%2A%2a203 (escaped)', { kind: 'directed', extension: '203' }],
    ['**', undefined],
    ['**20a', undefined],
    ['202', undefined],
  ] as const)('code %p', (dialled, expected) => {
    expect(pickupCode(dialled.split(' ')[0])).toEqual(expected);
  });
  test('the pickup group: members of the picker\'s ring groups, or everyone', () => {
    const groups = [{ members: ['201', '202'] }, { members: ['202', '203'] }, { members: ['205'] }];
    expect(pickupGroupOf('202', groups)).toEqual(['201', '202', '203']);
    expect(pickupGroupOf('201', groups)).toEqual(['201', '202']);
    expect(pickupGroupOf('209', groups)).toBe('all');
  });
  test('the longest ringing call; never a confirmed one, the picker\'s own, or one the picker makes', () => {
    const ringing = [
      { extension: '202', dialog: d({ callId: 'new', since: 50 }) },
      { extension: '203', dialog: d({ callId: 'old', since: 10 }) },
      { extension: '204', dialog: d({ callId: 'talking', state: 'confirmed', since: 1 }) },
    ];
    expect(choosePickup('201', ringing)?.dialog.callId).toBe('old');
    expect(choosePickup('203', ringing)?.dialog.callId).toBe('new');
    const mine = [{ extension: '202', dialog: d({ callId: 'x' }) }, { extension: '201', dialog: d({ callId: 'x', direction: 'initiator' }) }];
    expect(choosePickup('201', mine)).toBeUndefined();
    expect(choosePickup('201', [])).toBeUndefined();
  });
});
