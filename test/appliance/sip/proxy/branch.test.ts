import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage } from '../../../../appliance/sip/message/decode.ts';
import type { SipRequest } from '../../../../appliance/sip/message/types.ts';
import { isLoop, loopHash, outgoingBranch } from '../../../../appliance/sip/proxy/branch.ts';

/** Deterministic branches (RFC 3261 §16.6 step 8, §16.11) and loop vs spiral (§16.3 step 4). */
const PROXY = '192.168.1.10';
const isOurs = (host: string, port: number | undefined) => host === PROXY && (port ?? 5060) === 5060;

// The fixture as the phone sent it: drop the proxy's Via, keep the phone's.
const UAC = readFileSync(join(import.meta.dir, '../../../fixtures/sip/invite-routed.sip'), 'latin1')
  .replace('Via: SIP/2.0/UDP 192.168.1.10;branch=z9hG4bK-proxy-1\r\n', '');

function decode(text: string): SipRequest {
  const d = decodeMessage(text);
  if (d.kind !== 'request') throw new Error(`did not decode: ${JSON.stringify(d).slice(0, 300)}`);
  return d.msg;
}
/** What we forward: our Via on top with the computed branch (§16.6 step 8). */
const forwarded = (text: string, branch: string, ruri?: string) => {
  const withVia = text.replace(/\r\nVia:/, `\r\nVia: SIP/2.0/UDP ${PROXY};branch=${branch}\r\nVia:`);
  return ruri ? withVia.replace(/^INVITE \S+/, `INVITE ${ruri}`) : withVia;
};

describe('outgoingBranch', () => {
  const base = outgoingBranch(decode(UAC), 0);

  test('has the magic cookie and the documented shape', () => expect(base).toMatch(/^z9hG4bK-[\w-]{10}-[\w-]{12}-0$/));

  const rows: [string, string, number, boolean][] = [
    ['the same bytes decoded again (a retransmission reaching another worker)', UAC, 0, true],
    ['header order and case changed, same transaction', UAC.replace('Max-Forwards: 69', 'max-forwards: 69'), 0, true],
    ['the CANCEL for this INVITE (§9.1: same top Via, R-URI, Call-ID, CSeq number)', UAC.replace('INVITE sip:', 'CANCEL sip:').replace('CSeq: 2 INVITE', 'CSeq: 2 CANCEL'), 0, true],
    ['another target of the same fork', UAC, 1, false],
    ['another top Via branch (a new transaction)', UAC.replace('branch=z9hG4bK-uac-1', 'branch=z9hG4bK-uac-2'), 0, false],
    ['same branch from another sent-by', UAC.replace('[2001:db8::21]:5062', '[2001:db8::22]:5062'), 0, false],
    ['another CSeq number', UAC.replace('CSeq: 2 INVITE', 'CSeq: 3 INVITE'), 0, false],
  ];
  for (const [name, text, index, same] of rows) {
    test(`${name} → ${same ? 'same' : 'different'} branch`, () => {
      const b = outgoingBranch(decode(text), index);
      if (same) expect(b).toBe(base);
      else expect(b).not.toBe(base);
    });
  }

  test('RFC 2543 request without a branch: stable from Call-ID, CSeq, From tag (§16.11)', () => {
    const old = UAC.replace(';branch=z9hG4bK-uac-1', '');
    expect(outgoingBranch(decode(old), 0)).toBe(outgoingBranch(decode(old), 0));
    expect(outgoingBranch(decode(old), 0)).not.toBe(outgoingBranch(decode(old.replace('tag=9fxced76sl', 'tag=other')), 0));
  });
});

describe('isLoop: loop vs spiral (§16.3 step 4)', () => {
  const first = decode(UAC);
  const branch = outgoingBranch(first, 0);

  test('a fresh request from a phone is not a loop', () => expect(isLoop(first, isOurs)).toBe(false));
  test('our own forward coming back unchanged (same R-URI, tags, Call-ID, CSeq) is a loop', () => {
    expect(isLoop(decode(forwarded(UAC, branch)), isOurs)).toBe(true);
  });
  test('coming back with another Request-URI is a spiral, not a loop', () => {
    expect(isLoop(decode(forwarded(UAC, branch, 'sip:202@office.lan')), isOurs)).toBe(false);
  });
  test('the same branch in a Via that is not ours is not our loop', () => {
    expect(isLoop(decode(forwarded(UAC, branch)), () => false)).toBe(false);
  });
  test('loopHash ignores the Via chain: what forwarding adds does not change it', () => {
    expect(loopHash(decode(forwarded(UAC, branch)))).toBe(loopHash(first));
  });
});
