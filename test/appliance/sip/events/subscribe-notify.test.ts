import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startTestAppliance, type TestAppliance } from '../../../support/appliance.ts';
import { dialogStates, SipSubscriber } from '../../../support/sip-subscriber.ts';
import { statusOf } from '../../../support/sip-udp-peer.ts';

/**
 * The notifier for `dialog` and `presence` (RFC 6665, RFC 4235, RFC 3863) on one connection
 * control section: SUBSCRIBE authenticated and bounded (attack cases), the immediate NOTIFY
 * with the full state, refresh, unsubscribe, expiry, a NOTIFY answered 481.
 * 127.0.250.1 appliance, .10 subscriber 201.
 */
const HOST = '127.0.250.1';
const SUB = '127.0.250.10';
const PW = { '201': 'Quartz-Lamp-201', '202': 'Willow-Lamp-202' };
let t: TestAppliance;
let s: SipSubscriber;

describe('SUBSCRIBE dialog / presence', () => {
  beforeAll(async () => {
    t = await startTestAppliance(HOST);
    for (const [n, pw] of Object.entries(PW)) t.addExtension(n, pw);
    s = await SipSubscriber.open(SUB, { user: '201', password: PW['201'], host: HOST, port: t.port });
  });
  afterAll(async () => {
    s?.close();
    await t?.stop();
  });

  test('attack: without credentials, to a non-extension, bad Expires, unacceptable Accept', async () => {
    expect(statusOf(await s.subscribe('202', { auth: false }))).toBe(407);
    s.newDialog();
    expect(statusOf(await s.subscribe('299'))).toBe(404);
    s.newDialog();
    const brief = await s.subscribe('202', { expires: '30' });
    expect(statusOf(brief)).toBe(423);
    expect(brief).toMatch(/^Min-Expires: 60\r$/m);
    s.newDialog();
    expect(statusOf(await s.subscribe('202', { expires: 'soon' }))).toBe(400);
    s.newDialog();
    expect(statusOf(await s.subscribe('202', { expires: '-5' }))).toBe(400);
    s.newDialog();
    expect(statusOf(await s.subscribe('202', { accept: 'text/plain' }))).toBe(406);
    s.newDialog();
    // An in-dialog SUBSCRIBE naming a subscription we never made: 481, not a relay.
    s.remoteTag = 'forged';
    expect(statusOf(await s.subscribe('202'))).toBe(481);
    s.newDialog();
    expect(t.app.store.subscriptions.list()).toHaveLength(0);
    expect(s.notifies).toHaveLength(0);
  });

  test('subscribe: 200, a NOTIFY with the full state at once; a huge Expires is cut to 3600; refresh; unsubscribe ends it', async () => {
    const ok = await s.subscribe('202', { expires: '4000000000' });
    expect(statusOf(ok)).toBe(200);
    expect(ok).toMatch(/^Expires: 3600\r$/m);
    expect(ok).toMatch(/^Contact:\s+<sip:202@127\.0\.250\.1:\d+>/m);
    const first = await s.waitNotify(() => true);
    expect(first?.state).toMatch(/^active;expires=360\d$/);
    expect(first?.text).toMatch(/^Event: dialog\r$/m);
    expect(first?.text).toMatch(/^Content-Type: application\/dialog-info\+xml\r$/m);
    expect(first?.body).toContain('<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:202@office.lan">');
    expect(dialogStates(first!.body)).toEqual([]);
    expect(t.app.store.subscriptions.list()).toHaveLength(1);
    // Refresh in the dialog (To tag), challenged again like any request of ours.
    expect(statusOf(await s.subscribe('202', { expires: '120' }))).toBe(200);
    const refreshed = await s.waitNotify((n) => n.cseq === 2);
    expect(refreshed?.state).toMatch(/^active;expires=1[12]\d$/);
    expect(refreshed?.body).toContain('version="1"');
    // Unsubscribe: 200, a last NOTIFY terminated, and the store forgets it.
    const bye = await s.subscribe('202', { expires: '0' });
    expect(statusOf(bye)).toBe(200);
    expect((await s.waitNotify((n) => n.cseq === 3))?.state).toBe('terminated;reason=timeout');
    expect(t.app.store.subscriptions.list()).toHaveLength(0);
    s.newDialog();
  });

  test('presence: a PIDF document, available', async () => {
    const before = s.notifies.length;
    expect(statusOf(await s.subscribe('202', { event: 'presence', expires: '300' }))).toBe(200);
    const n = await s.waitNotify((x) => s.notifies.indexOf(x) >= before);
    expect(n?.text).toMatch(/^Event: presence\r$/m);
    expect(n?.text).toMatch(/^Content-Type: application\/pidf\+xml\r$/m);
    expect(n?.body).toContain('<presence xmlns="urn:ietf:params:xml:ns:pidf"');
    expect(n?.body).toContain('<basic>open</basic>');
    expect(n?.body).toContain('<note>Available</note>');
    expect(await s.subscribe('202', { event: 'presence', expires: '0' })).toContain('SIP/2.0 200');
    s.newDialog();
  });

  test('expiry sends terminated;reason=timeout; a NOTIFY answered 481 removes the subscription', async () => {
    expect(statusOf(await s.subscribe('202', { expires: '600' }))).toBe(200);
    const [sub] = t.app.store.subscriptions.list();
    const before = s.notifies.length;
    // Let it run out in 300 ms (the notifier follows the store: what a refresh elsewhere does).
    t.app.store.subscriptions.refresh(sub.id, Date.now() + 300, sub.contact, sub.source);
    t.app.sip.service.parts.events!.changed(sub.id);
    const end = await s.waitNotify((n) => s.notifies.indexOf(n) > before && n.state.startsWith('terminated'), 3000);
    expect(end?.state).toBe('terminated;reason=timeout');
    expect(t.app.store.subscriptions.get(sub.id)).toBeUndefined();
    s.newDialog();

    expect(statusOf(await s.subscribe('202', { expires: '600' }))).toBe(200);
    const [again] = t.app.store.subscriptions.list();
    s.notifyStatus = 481;
    t.app.sip.service.parts.events!.changed(again.id); // a state change: another NOTIFY, answered 481
    const until = Date.now() + 3000;
    while (t.app.store.subscriptions.get(again.id) && Date.now() < until) await Bun.sleep(10);
    expect(t.app.store.subscriptions.get(again.id)).toBeUndefined();
    s.notifyStatus = 200;
    s.newDialog();
  });

  test('attack: flooding beyond the per-phone limit (64) gets 403', async () => {
    for (let i = 0; i < 64; i++) {
      s.newDialog();
      expect(statusOf(await s.subscribe('202', { expires: '600' }))).toBe(200);
    }
    s.newDialog();
    const over = await s.subscribe('202', { expires: '600' });
    expect(statusOf(over)).toBe(403);
    expect(over).toContain('Too Many Subscriptions');
    expect(t.app.store.subscriptions.countBySubscriber('201')).toBe(64);
  }, 30_000);
});
