import { describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { DialogTokens } from '../../../../appliance/sip/security/dialog-token.ts';

/** security/dialog-token.ts: HMAC(secret, Call-ID, From tag) in our Record-Route, checked on in-dialog requests. */
const hmac = (secret: string, callId: string, tag: string) => createHmac('sha256', secret).update(`${callId}\n${tag}`).digest('hex').slice(0, 20);

describe('dialog tokens', () => {
  test('a token is the HMAC of Call-ID and From tag, the same from the memo and from a fresh instance', () => {
    const tokens = new DialogTokens('s3cret');
    const first = tokens.issue('c1@h', 'tagA');
    expect(first).toBe(hmac('s3cret', 'c1@h', 'tagA'));
    expect(tokens.issue('c1@h', 'tagA')).toBe(first);
    expect(new DialogTokens('s3cret').issue('c1@h', 'tagA')).toBe(first);
    expect(new DialogTokens('other').issue('c1@h', 'tagA')).not.toBe(first);
  });

  test('past the memo bound (cleared when full) every token is still right', () => {
    const tokens = new DialogTokens('k');
    for (let i = 0; i < 10_000; i++) {
      const t = tokens.issue(`call-${i % 5000}`, `t${i}`);
      if (i % 997 === 0) expect(t).toBe(hmac('k', `call-${i % 5000}`, `t${i}`));
    }
    expect(tokens.issue('call-1', 't1')).toBe(hmac('k', 'call-1', 't1'));
  });

  test('verify: either tag of the dialog; a wrong token, tag, Call-ID or shape is refused', () => {
    const tokens = new DialogTokens('k');
    const token = tokens.issue('c@h', 'caller');
    expect(tokens.verify(token, 'c@h', 'caller', 'callee')).toBe(true);
    expect(tokens.verify(token, 'c@h', 'callee', 'caller')).toBe(true); // the callee's request: tags swapped
    expect(tokens.verify(token, 'c@h', 'x', 'y')).toBe(false);
    expect(tokens.verify(token, 'other@h', 'caller', 'callee')).toBe(false);
    const forged = `${token.slice(0, 19)}${token[19] === '0' ? '1' : '0'}`;
    expect(tokens.verify(forged, 'c@h', 'caller', 'callee')).toBe(false);
    expect(tokens.verify(token.toUpperCase(), 'c@h', 'caller', 'callee')).toBe(false);
    expect(tokens.verify(undefined, 'c@h', 'caller', 'callee')).toBe(false);
    expect(tokens.verify(token.slice(0, 19), 'c@h', 'caller', 'callee')).toBe(false);
  });
});
