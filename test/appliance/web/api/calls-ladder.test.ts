import { describe, expect, test } from 'bun:test';
import { reconstructLadder } from '../../../../appliance/web/api/calls-api.ts';
import type { ActiveCall, EndedCall } from '../../../../appliance/control/calls-view.ts';

/** The ladder drawn from the calls view alone, when the message trace is gone. */
const call: ActiveCall = { callId: 'c1', tags: ['a', 'b'], from: 'sip:201@office.lan', to: 'sip:202@office.lan', startedAt: 1000, worker: 1 };
const arrows = (steps: { from: string; to: string; label: string }[]) => steps.map((s) => `${s.from}>${s.to} ${s.label}`);

describe('reconstructLadder', () => {
  const setUp = ['caller>appliance INVITE', 'appliance>callee INVITE', 'callee>appliance 200 OK', 'appliance>caller 200 OK', 'caller>appliance ACK', 'appliance>callee ACK'];
  const rows: [string, ActiveCall | EndedCall, string[]][] = [
    ['in progress: set up only', call, setUp],
    ['ended by a BYE: relayed through the appliance', { ...call, endedAt: 5000, reason: 'BYE' }, [...setUp, 'caller>appliance BYE', 'appliance>callee BYE', 'callee>appliance 200 OK', 'appliance>caller 200 OK']],
    ['hung up by the admin: the appliance sends both BYEs', { ...call, endedAt: 5000, reason: 'hung up by the admin' },
      [...setUp, 'appliance>caller BYE', 'appliance>callee BYE', 'caller>appliance 200 OK', 'callee>appliance 200 OK']],
  ];
  for (const [name, c, expected] of rows) test(name, () => expect(arrows(reconstructLadder(c))).toEqual(expected));
});
