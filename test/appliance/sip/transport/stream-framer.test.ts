import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_BODY_BYTES, MAX_HEADER_BYTES, StreamFramer } from '../../../../appliance/sip/transport/stream-framer.ts';

/** Framing SIP on TCP (RFC 3261 §18.3): headers to the blank line, then Content-Length bytes. */
const F = join(import.meta.dir, '../../../fixtures/sip');
const INVITE = readFileSync(join(F, 'invite-routed.sip'));
const REGISTER = readFileSync(join(F, 'register-compact.sip'));
const RINGING = readFileSync(join(F, 'ringing-180.sip'));
const b = (s: string) => Buffer.from(s, 'latin1');

/** Feeds chunks, returns every framed message as latin1 text and the first error. */
function feed(...chunks: Buffer[]) {
  const framer = new StreamFramer();
  const messages: string[] = [];
  for (const c of chunks) {
    const r = framer.push(c);
    messages.push(...r.messages.map((m) => m.toString('latin1')));
    if (r.error) return { messages, error: r.error };
  }
  return { messages, error: undefined };
}

describe('StreamFramer: framing', () => {
  const text = (buf: Buffer) => buf.toString('latin1');
  const rows: [string, Buffer[], string[]][] = [
    ['one message in one chunk', [INVITE], [text(INVITE)]],
    ['two messages in one chunk', [Buffer.concat([REGISTER, INVITE])], [text(REGISTER), text(INVITE)]],
    ['a message split inside the headers', [INVITE.subarray(0, 100), INVITE.subarray(100)], [text(INVITE)]],
    ['a message split inside the blank line', [INVITE.subarray(0, INVITE.indexOf('\r\n\r\n') + 2), INVITE.subarray(INVITE.indexOf('\r\n\r\n') + 2)], [text(INVITE)]],
    ['a message split inside the body', [INVITE.subarray(0, INVITE.length - 10), INVITE.subarray(INVITE.length - 10)], [text(INVITE)]],
    ['byte by byte', [...Buffer.concat([RINGING, REGISTER])].map((x) => Buffer.from([x])), [text(RINGING), text(REGISTER)]],
    ['one and a half messages, then the rest', [Buffer.concat([REGISTER, INVITE.subarray(0, 300)]), INVITE.subarray(300)], [text(REGISTER), text(INVITE)]],
    ['CRLF keep-alives before, between and after (RFC 5626 §3.5.1)', [b('\r\n\r\n'), REGISTER, b('\r\n\r\n\r\n'), RINGING, b('\r\n')], [text(REGISTER), text(RINGING)]],
    ['only keep-alives', [b('\r\n\r\n'), b('\r\n')], []],
    ['compact l: header', [b(text(REGISTER))], [text(REGISTER)]],
    ['headers not complete yet: nothing, no error', [INVITE.subarray(0, 50)], []],
    ['body not complete yet: nothing, no error', [INVITE.subarray(0, INVITE.length - 1)], []],
  ];
  for (const [name, chunks, expected] of rows) {
    test(name, () => expect(feed(...chunks)).toEqual({ messages: expected, error: undefined }));
  }
  test('messages framed earlier in a push survive a later error in the same push', () => {
    const broken = b(text(REGISTER).replace('l: 0', 'l: -1'));
    expect(feed(Buffer.concat([RINGING, broken]))).toEqual({ messages: [text(RINGING)], error: expect.stringMatching(/Content-Length/) });
  });
});

describe('StreamFramer: broken framing closes the connection (RFC 3261 §18.3, RFC 4475 §3.1.2.3, §3.3.9)', () => {
  const reg = text(REGISTER);
  function text(buf: Buffer) { return buf.toString('latin1'); }
  const rows: [string, string, RegExp][] = [
    ['no Content-Length (mandatory on streams, §20.14)', reg.replace('l: 0\r\n', ''), /missing Content-Length/],
    ['negative Content-Length', reg.replace('l: 0', 'l: -1'), /bad Content-Length/],
    ['Content-Length not a number', reg.replace('l: 0', 'l: zero'), /missing Content-Length/],
    ['Content-Length above the body limit', reg.replace('l: 0', `l: ${MAX_BODY_BYTES + 1}`), /bad Content-Length/],
    ['two Content-Length headers', reg.replace('l: 0', 'l: 0\r\nContent-Length: 0'), /several Content-Length/],
    ['two Content-Length headers with different values', reg.replace('l: 0', 'Content-Length: 0\r\ncontent-length : 4'), /several Content-Length/],
  ];
  for (const [name, message, error] of rows) test(name, () => expect(feed(b(message)).error).toMatch(error));

  test(`headers longer than ${MAX_HEADER_BYTES} bytes without a blank line`, () => {
    const huge = b(`INVITE sip:a@b SIP/2.0\r\nX-Junk: ${'x'.repeat(MAX_HEADER_BYTES)}`);
    expect(feed(huge).error).toBe('headers too large');
  });
  test('exactly the header limit still waits for more', () => {
    const edge = b('x'.repeat(MAX_HEADER_BYTES));
    expect(feed(edge)).toEqual({ messages: [], error: undefined });
  });
  test('a Content-Length line inside the body is not a header', () => {
    const body = 'Content-Length: 99\r\n';
    const msg = reg.replace('l: 0', `l: ${body.length}`) + body;
    expect(feed(b(msg))).toEqual({ messages: [msg], error: undefined });
  });
});

test('MAX_BODY_BYTES is accepted as a length (the body may then arrive)', () => {
  const r = new StreamFramer().push(b(REGISTER.toString('latin1').replace('l: 0', `l: ${MAX_BODY_BYTES}`)));
  expect(r).toEqual({ messages: [] });
});
