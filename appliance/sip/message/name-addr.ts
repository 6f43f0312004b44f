/**
 * The name-addr / addr-spec of To, From, Contact, Refer-To and Path values (RFC 3261 §20.10,
 * §20.20, §20.39, §25.1): `[display-name] <URI> *(;param)` or a bare addr-spec whose `;params`
 * are header parameters, `*` for Contact (an entry with the URI `*`; decode.ts checks it).
 *
 * It replaces `sip.parseAOR` (issue 16: with its regex per call and `parseParams` loop it was
 * 6-10 % of a proxied call's CPU, bench/sip-call-cpu) and returns exactly what that function
 * returned, read the same way, so nothing downstream changes:
 * - `name`: the display name as written, a token list (`Bob  Smith`) or a quoted string with its
 *   quotes and escapes (`"Bob \"B\""`), or `undefined` (the key is always there);
 * - `uri`: the text between `<` and `>` without leading LWS (trailing LWS stays), or the bare
 *   addr-spec up to the first LWS or `;`;
 * - `params`: names lower-cased, values as written (quoted ones keep their quotes), `null`
 *   when there is no value; a later duplicate overwrites.
 * The cursor advances past what was read (a list parser continues at the comma); what does not
 * fit the grammar after that is left unread, as the package did. An input it cannot read at all
 * throws. The strictness the package lacks (unbalanced quotes, `?` in a bare Contact, `*` in a
 * list) is decode.ts's, not here. test/appliance/sip/message/name-addr.test.ts compares the two
 * over the RFC 4475 / 5118 corpus and seeded mutations of it.
 */
import { paramKey } from './param-key.ts';

export interface NameAddr {
  name: string | undefined;
  uri: string;
  params: Record<string, string | null>;
}

/** A string and a read position in it (the package's `{ s, i }`). */
export interface Cursor {
  s: string;
  i: number;
}

/** RFC 3261 §25.1 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~". */
const TOKEN = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`\'~') TOKEN[ch.charCodeAt(0)] = 1;

const isToken = (c: number): boolean => c < 128 && TOKEN[c] === 1;

/** JavaScript's `\s` (the package's regexes used it for LWS). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029
    || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** A line terminator: what `.` does not match after a backslash in a quoted string. */
const isLineEnd = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}


function skipToken(s: string, i: number): number {
  while (i < s.length && isToken(s.charCodeAt(i))) i++;
  return i;
}

/** The end of a quoted-string starting at `i` (a `"`), or -1 (RFC 3261 §25.1 quoted-pair). */
function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 92) {
      if (j + 1 >= s.length || isLineEnd(s.charCodeAt(j + 1))) return -1;
      j++;
    }
  }
  return -1;
}

/** The end of a display name at `i` (RFC 3261 §25.1: a quoted-string or `*(token LWS) token`), or `i`. */
function displayNameEnd(s: string, i: number): number {
  const c = i < s.length ? s.charCodeAt(i) : -1;
  if (c === 34) {
    const end = quotedEnd(s, i);
    return end < 0 ? i : end;
  }
  if (!isToken(c)) return i;
  // The longest token list: nothing shorter can be followed by `<`.
  let end = skipToken(s, i);
  for (;;) {
    const next = skipSpace(s, end);
    if (next === end || !isToken(s.charCodeAt(next))) return end;
    end = skipToken(s, next);
  }
}

/** Reads one name-addr or addr-spec with its header parameters at `c.i` (RFC 3261 §20.10). */
export function readNameAddr(c: Cursor): NameAddr {
  const s = c.s;
  const start = c.i;
  let name: string | undefined;
  let uri: string | undefined;
  let i = start;
  // name-addr: [display-name] LAQUOT addr-spec RAQUOT; without `<` after the name, without a name.
  let nameEnd = displayNameEnd(s, start);
  let laquot = skipSpace(s, nameEnd);
  if (s.charCodeAt(laquot) !== 60 && nameEnd > start) {
    nameEnd = start;
    laquot = skipSpace(s, start);
  }
  if (s.charCodeAt(laquot) === 60) {
    const close = s.indexOf('>', laquot + 1);
    if (close >= 0) {
      if (nameEnd > start) name = s.slice(start, nameEnd);
      uri = s.slice(skipSpace(s, laquot + 1), close);
      i = close + 1;
    }
  }
  if (uri === undefined) {
    // addr-spec: up to LWS or `;` (a `;` may start it only as `;@host`, as the package read it).
    const c0 = i < s.length ? s.charCodeAt(i) : -1;
    let from = i;
    if (c0 === 59) {
      const c2 = i + 2 < s.length ? s.charCodeAt(i + 2) : 59;
      if (s.charCodeAt(i + 1) !== 64 || c2 === 59 || isSpace(c2)) throw new Error('no name-addr');
      from = i + 2;
    } else if (c0 < 0 || isSpace(c0)) {
      throw new Error('no name-addr');
    }
    let j = from;
    while (j < s.length) {
      const ch = s.charCodeAt(j);
      if (ch === 59 || isSpace(ch)) break;
      j++;
    }
    uri = s.slice(i, j);
    i = j;
  }
  const params: Record<string, string | null> = {};
  // *( SEMI generic-param ), generic-param = token [ EQUAL ( token / host / quoted-string ) ].
  for (;;) {
    let j = skipSpace(s, i);
    if (s.charCodeAt(j) !== 59) break;
    j = skipSpace(s, j + 1);
    const keyEnd = skipToken(s, j);
    if (keyEnd === j) break;
    const key = paramKey(s.slice(j, keyEnd));
    let value: string | null = null;
    i = keyEnd;
    let k = skipSpace(s, keyEnd);
    if (s.charCodeAt(k) === 61) {
      k = skipSpace(s, k + 1);
      const v = k < s.length ? s.charCodeAt(k) : -1;
      const end = v === 34 ? quotedEnd(s, k) : isToken(v) ? skipToken(s, k) : -1;
      if (end > k) {
        value = s.slice(k, end);
        i = end;
      }
    }
    params[key] = value;
  }
  c.i = i;
  return { name, uri, params };
}
