import { describe, expect, test } from 'bun:test';
import { byeWorker } from '../../../appliance/control/call-hangup.ts';
import { CallsView } from '../../../appliance/control/calls-view.ts';
import { cseqEventOf, type DialogEvent } from '../../../appliance/sip/dialog-events.ts';
import type { DialogLegs } from '../../../appliance/sip/hangup/dialog-legs.ts';
import { decodeMessage } from '../../../appliance/sip/message/decode.ts';
import type { Destination } from '../../../appliance/sip/transport/transport.ts';

/** The pure parts of a hang-up on the control side: which worker sends, which CSeq each BYE carries. */
describe('byeWorker', () => {
  const workers = [{ id: 1, state: 'running' as const }, { id: 2, state: 'running' as const }, { id: 3, state: 'draining' as const }, { id: 4, state: 'starting' as const }];
  const owners = new Map([['10.0.0.5:51000', 2], ['tls:10.0.0.6:51001', 3], ['10.0.0.7:51002', 9]]);
  const udp: Destination = { transport: 'udp', address: '10.0.0.5', port: 5062, fromShared: true };
  const rows: [string, Destination, number, number | undefined][] = [
    ['UDP: the worker that saw the call answered', udp, 1, 1],
    ['UDP, that worker gone: another running one', udp, 7, 1],
    ['TCP: the connection holder, not the call\'s worker', { transport: 'tcp', address: '10.0.0.5', port: 5062, connection: '10.0.0.5:51000' }, 1, 2],
    ['TLS held by a draining worker: still that one (its connection is there)', { transport: 'tls', address: '10.0.0.6', port: 5061, connection: 'tls:10.0.0.6:51001' }, 1, 3],
    ['TCP without a connection key: keyed by address and port', { transport: 'tcp', address: '10.0.0.5', port: 51000 }, 1, 2],
    ['TCP held by a worker that is gone: the call\'s worker (a new connection)', { transport: 'tcp', address: '10.0.0.7', port: 5062, connection: '10.0.0.7:51002' }, 2, 2],
    ['a starting worker never sends', udp, 4, 1],
  ];
  for (const [name, flow, callWorker, expected] of rows) {
    test(name, () => expect(byeWorker(flow, callWorker, workers, (k) => owners.get(k))).toBe(expected));
  }
  test('no worker: none', () => expect(byeWorker(udp, 1, [], () => undefined)).toBeUndefined());
});

describe('cseqEventOf', () => {
  const req = (method: string, toTag: string | undefined, seq: number) => {
    const d = decodeMessage(Buffer.from([`${method} sip:201@10.0.0.5:5062 SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.9:5070;branch=z9hG4bK9', 'Max-Forwards: 70',
      'From: <sip:202@office.lan>;tag=callee-t', `To: <sip:201@office.lan>${toTag ? `;tag=${toTag}` : ''}`, 'Call-ID: c1@x', `CSeq: ${seq} ${method}`, 'Content-Length: 0', '', ''].join('\r\n')));
    if (d.kind !== 'request') throw new Error('bad fixture');
    return d.msg;
  };
  const rows: [string, string, string | undefined, number, object | undefined][] = [
    ['a re-INVITE moves its sender\'s CSeq', 'INVITE', 'caller-t', 5, { kind: 'cseq', tags: ['callee-t', 'caller-t'], seq: 5 }],
    ['an UPDATE too', 'UPDATE', 'caller-t', 6, { kind: 'cseq', seq: 6 }],
    ['INFO too', 'INFO', 'caller-t', 7, { kind: 'cseq', seq: 7 }],
    ['ACK reuses the INVITE\'s number', 'ACK', 'caller-t', 5, undefined],
    ['CANCEL likewise', 'CANCEL', 'caller-t', 5, undefined],
    ['outside a dialog: nothing', 'INVITE', undefined, 1, undefined],
  ];
  for (const [name, method, toTag, seq, expected] of rows) {
    test(name, () => {
      const e = cseqEventOf(req(method, toTag, seq));
      if (expected === undefined) expect(e).toBeUndefined();
      else expect(e).toMatchObject(expected);
    });
  }
});

describe('CallsView hang-up state', () => {
  const T = Date.now();
  const legs = { caller: { target: 'sip:201@10.0.0.5' }, callee: { target: 'sip:202@10.0.0.9' } } as unknown as DialogLegs;
  const start: DialogEvent = { kind: 'start', callId: 'c1', tags: ['caller-t', 'callee-t'], from: 'sip:201@office.lan', to: 'sip:202@office.lan', ts: T, legs, cseq: 3 };
  const cseq = (from: string, to: string, seq: number): DialogEvent => ({ kind: 'cseq', callId: 'c1', tags: [from, to], ts: T, seq });
  const rows: [string, DialogEvent[][], { caller: number; callee: number }][] = [
    ['the INVITE\'s CSeq for both sides (the callee has sent nothing)', [[start]], { caller: 3, callee: 3 }],
    ['a caller re-INVITE on another worker', [[start], [cseq('caller-t', 'callee-t', 4)]], { caller: 4, callee: 3 }],
    ['a callee UPDATE: its own number space', [[start], [cseq('callee-t', 'caller-t', 101)]], { caller: 3, callee: 101 }],
    ['a late batch with a lower CSeq does not lower it', [[start, cseq('caller-t', 'callee-t', 9)], [cseq('caller-t', 'callee-t', 5)]], { caller: 9, callee: 3 }],
    ['a re-INVITE reported before its start (another worker\'s batch came first)', [[cseq('caller-t', 'callee-t', 4)], [start]], { caller: 4, callee: 3 }],
  ];
  for (const [name, batches, seq] of rows) {
    test(name, () => {
      const v = new CallsView();
      batches.forEach((b, i) => v.apply(i + 1, b));
      const [found] = v.hangupStates('c1');
      expect(found.state?.seq).toEqual(seq);
      expect(found.state?.legs).toBe(legs);
    });
  }
  test('the legs stay out of the list the API serves, and go with the call\'s end', () => {
    const v = new CallsView();
    v.apply(1, [start]);
    expect(v.list()[0]).not.toHaveProperty('legs');
    v.apply(2, [{ kind: 'end', callId: 'c1', tags: ['callee-t', 'caller-t'], ts: T + 1, reason: 'hung up by the admin' }]);
    expect(v.hangupStates('c1')).toEqual([]);
    expect(v.recentCalls()[0].reason).toBe('hung up by the admin');
  });
  test('an upgrade hands calls over with their legs and sequence numbers: the successor hangs up as the predecessor would', () => {
    const old = new CallsView();
    old.apply(1, [start, cseq('caller-t', 'callee-t', 4), cseq('callee-t', 'caller-t', 77)]);
    const carried = JSON.parse(JSON.stringify(old.handover())); // it crosses the IPC as JSON
    const successor = new CallsView();
    successor.adopt(carried);
    const [found] = successor.hangupStates('c1');
    expect(found.call.worker).toBe(0);
    expect(found.state?.seq).toEqual({ caller: 4, callee: 77 });
    expect(found.state?.legs).toEqual(legs);
    expect(successor.list()[0]).not.toHaveProperty('hangup');
  });
  test('a call handed over by a version that kept no legs has none', () => {
    const v = new CallsView();
    v.adopt([{ callId: 'c2', tags: ['a', 'b'], from: 'sip:201@office.lan', to: 'sip:202@office.lan', startedAt: T, worker: 3 }]);
    expect(v.hangupStates('c2')).toEqual([{ call: expect.objectContaining({ callId: 'c2' }) }]);
    expect(v.hangupStates('nope')).toEqual([]);
  });
});
