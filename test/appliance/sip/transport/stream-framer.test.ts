import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_HEADER_BYTES, MAX_MESSAGE_BYTES, StreamFramer } from '../../../../appliance/sip/transport/stream-framer.ts';

/** Framing SIP on TCP (RFC 3261 §18.3): headers to the blank line, then Content-Length bytes. */
const F = join(import.meta.dir, '../../../fixtures/sip');
const INVITE = readFileSync(join(F, 'invite-routed.sip'));
const REGISTER = readFileSync(join(F, 'register-compact.sip'));
const RINGING = readFileSync(join(F, 'ringing-180.sip'));
const b = (s: string) => Buffer.from(s, 'latin1');

/** Feeds chunks, returns every framed message as latin1 text and the first error. */
function feed(...chunks: Buffer[]) {
  return feedAll(...chunks).result;
}
function feedAll(...chunks: Buffer[]) {
  const framer = new StreamFramer();
  const messages: string[] = [];
  let pings = 0;
  for (const c of chunks) {
    const r = framer.push(c);
    messages.push(...r.messages.map((m) => m.toString('latin1')));
    pings += r.pings;
    if (r.error) return { result: { messages, error: r.error }, pings, tooLarge: r.tooLarge?.toString('latin1'), framer };
  }
  return { result: { messages, error: undefined }, pings, tooLarge: undefined, framer };
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
    ['a message above the message limit', reg.replace('l: 0', `l: ${MAX_MESSAGE_BYTES}`), /message too large/],
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

describe('StreamFramer: bounds (docs/SECURITY.md)', () => {
  const reg = REGISTER.toString('latin1');
  const headLen = reg.indexOf('\r\n\r\n');
  test('a message of exactly MAX_MESSAGE_BYTES is accepted (the body may then arrive)', () => {
    const len = MAX_MESSAGE_BYTES - headLen - 4 - (String(MAX_MESSAGE_BYTES).length - 1);
    const msg = reg.replace('l: 0', `l: ${len}`) + 'x'.repeat(len);
    expect(Buffer.byteLength(msg, 'latin1')).toBe(MAX_MESSAGE_BYTES);
    expect(feed(b(msg.slice(0, 1000)), b(msg.slice(1000)))).toEqual({ messages: [msg], error: undefined });
  });
  test('one byte more is refused before the body is read, with the readable header block', () => {
    const len = MAX_MESSAGE_BYTES - headLen - 4 - (String(MAX_MESSAGE_BYTES).length - 1) + 1;
    const head = reg.replace('l: 0', `l: ${len}`);
    const r = feedAll(b(head));
    expect(r.result.error).toBe('message too large');
    expect(r.tooLarge).toBe(head.slice(0, -4));
    expect(r.framer.inProgress).toBe(false);
  });
  test('a header block longer than MAX_HEADER_BYTES that does end is refused, readable', () => {
    const head = reg.replace('l: 0', `X-Pad: ${'p'.repeat(MAX_HEADER_BYTES)}\r\nl: 0`);
    const r = feedAll(b(head));
    expect(r.result.error).toBe('headers too large');
    expect(r.tooLarge).toStartWith('REGISTER sip:office.lan SIP/2.0');
  });
  test('headers that never end are refused, not readable', () => {
    const r = feedAll(b(`INVITE sip:a@b SIP/2.0\r\nX-Junk: ${'x'.repeat(MAX_HEADER_BYTES)}`));
    expect(r.result.error).toBe('headers too large');
    expect(r.tooLarge).toBeUndefined();
  });
  test('inProgress: from the first byte of a message to its last', () => {
    const framer = new StreamFramer();
    expect(framer.inProgress).toBe(false);
    framer.push(b('\r\n\r\n'));
    expect(framer.inProgress).toBe(false);
    framer.push(REGISTER.subarray(0, 10));
    expect(framer.inProgress).toBe(true);
    framer.push(REGISTER.subarray(10));
    expect(framer.inProgress).toBe(false);
  });
});

describe('StreamFramer: CRLFCRLF pings between messages (RFC 5626 §4.4.1)', () => {
  const rows: [string, Buffer[], number][] = [
    ['one ping', [b('\r\n\r\n')], 1],
    ['a ping split over two pushes', [b('\r\n'), b('\r\n')], 1],
    ['a ping split inside a CRLF', [b('\r\n\r'), b('\n')], 1],
    ['three pings', [b('\r\n\r\n\r\n\r\n\r\n\r\n')], 3],
    ['a single CRLF is a pong, not a ping', [b('\r\n')], 0],
    ['a ping after a message', [REGISTER, b('\r\n\r\n')], 1],
    ['a CRLF after a message and one before the next is not a ping', [REGISTER, b('\r\n'), RINGING.subarray(0, 20), RINGING.subarray(20), b('\r\n')], 0],
    ['the blank line inside a message is not a ping', [REGISTER, INVITE], 0],
    ['bare LFs are not pings', [b('\n\n\n\n')], 0],
  ];
  for (const [name, chunks, pings] of rows) test(name, () => expect(feedAll(...chunks).pings).toBe(pings));
});
