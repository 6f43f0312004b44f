import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sip from 'sip';
import { readNameAddr } from '../../../../appliance/sip/message/name-addr.ts';
import { splitCommas } from '../../../../appliance/sip/message/via.ts';
import { fuzzSeed, SeededRandom } from '../../../support/seeded-random.ts';

/**
 * readNameAddr (name-addr.ts) replaced `sip.parseAOR` (issue 16) and must read every value as
 * it did: the same object (display name, URI text, parameters, the `name` key even when
 * undefined), the cursor left at the same place (Contact and Path lists continue from there),
 * or both throw. Differential inputs: every To/From/Contact/Route-like value of the RFC 4475 /
 * RFC 5118 torture corpus (read in place from ../shared/testdata/sip-torture, see its
 * SOURCES.md), read whole, as a comma list, part by part and from every offset; seeded
 * mutations of those values; and every UTF-16 code unit in each place of a name-addr (the
 * package's `\s`, `\w` and `.` classes). There is no difference on purpose: where the package is
 * lax (an unterminated quoted name reads as the addr-spec `"Bob`, a `?` in a bare Contact, a
 * Contact `*` in a list), decode.ts rejects the message (torture-corpus.test.ts).
 */
const REPO = resolve(import.meta.dir, '../../../..');
const CORPUS = resolve(REPO, '../shared/testdata/sip-torture');
const present = existsSync(CORPUS);
if (!present) console.warn(`skipping the torture corpus: ${CORPUS} is absent`);

type Outcome = { ok: true; value: unknown; i: number } | { ok: false };
function run(parse: (c: { s: string; i: number }) => unknown, s: string, i: number): Outcome {
  const c = { s, i };
  try {
    return { ok: true, value: parse(c), i: c.i };
  } catch {
    return { ok: false };
  }
}

let compared = 0;
/** Ours against the package at one position. */
function same(s: string, i = 0): void {
  const want = run(sip.parseAOR, s, i);
  const got = run(readNameAddr, s, i);
  compared++;
  if (!Bun.deepEquals(got, want, true)) expect({ s, i, got }).toStrictEqual({ s, i, got: want });
}

/** A list the way header-values.ts reads Contact and Path: entry, `\s*,\s*`, entry... */
function sameList(s: string): void {
  const COMMA = /\s*,\s*/y;
  const c = { s, i: 0 };
  for (let n = 0; n < 50; n++) {
    same(s, c.i);
    try {
      sip.parseAOR(c);
    } catch {
      return;
    }
    COMMA.lastIndex = c.i;
    if (c.i >= s.length || !COMMA.exec(s)) return;
    c.i = COMMA.lastIndex;
  }
}

function checkValue(v: string): void {
  same(v);
  sameList(v);
  for (const part of splitCommas(v)) same(part.trim());
}

const NAMES = new Set(['to', 't', 'from', 'f', 'contact', 'm', 'refer-to', 'r', 'path', 'route', 'record-route', 'reply-to', 'p-asserted-identity', 'referred-by', 'b']);
/** The name-addr header values of the corpus, unfolded (RFC 3261 §7.3.1). */
const values: string[] = present
  ? ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) => readdirSync(join(CORPUS, dir)).sort().flatMap((f) => {
    const s = readFileSync(join(CORPUS, dir, f)).toString('latin1');
    const end = s.indexOf('\r\n\r\n');
    const head = (end < 0 ? s : s.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
    return head.split('\r\n').slice(1).flatMap((line) => {
      const colon = line.indexOf(':');
      return colon > 0 && NAMES.has(line.slice(0, colon).trim().toLowerCase()) ? [line.slice(colon + 1).trim()] : [];
    });
  }))
  : [];

describe('readNameAddr against sip.parseAOR', () => {
  test.skipIf(!present)('every name-addr value of the RFC 4475 / 5118 corpus, from every offset', () => {
    expect(values.length).toBeGreaterThan(150);
    compared = 0;
    for (const v of values) {
      checkValue(v);
      for (let i = 1; i <= v.length; i++) same(v, i);
    }
    expect(compared).toBeGreaterThan(values.length * 10);
  });

  const NOISE = ['"', '\\', '<', '>', ';', ',', '=', ' ', '\t', '@', ':', '[', ']', '?', '&', '%', '*', '\u00a0', '\u00e9', '\n', '\r', '\u2028', '\u3000', ';tag=x', ';lr', ';q="0.5"', ' ;X-Up = Y ', '"a\\"b" ', '<sip:a@b>', '*', 'sip:', '""', ';@', '~', "'", '`'];
  const seed = fuzzSeed();
  test.skipIf(!present)(`6,000 seeded mutations of the corpus values (FUZZ_SEED=${seed})`, () => {
    const r = new SeededRandom(seed);
    compared = 0;
    for (let n = 0; n < 6000; n++) {
      let v = r.pick(values);
      for (let k = r.range(1, 4); k > 0; k--) {
        const at = r.int(v.length + 1);
        switch (r.int(4)) {
          case 0: v = v.slice(0, at) + r.pick(NOISE) + v.slice(at); break;
          case 1: v = v.slice(0, at) + v.slice(at + 1 + r.int(3)); break;
          case 2: v = v.slice(0, at) + r.pick(values).slice(r.int(20)) ; break;
          default: v = v.slice(0, at) + String.fromCharCode(r.int(256)) + v.slice(at + 1);
        }
      }
      checkValue(v);
    }
    expect(compared).toBeGreaterThan(6000 * 3);
  });

  test('every UTF-16 code unit in each place of a name-addr (\\s, \\w, token and . classes)', () => {
    compared = 0;
    for (let u = 0; u < 0x10000; u++) {
      const x = String.fromCharCode(u);
      same(`a${x}b <${x}sip:x${x}>${x};p${x}=${x}v;q="${x}\\${x}"`);
      same(`"n\\${x}" ${x}sip:a@h;${x}${x}@x`);
      same(`${x}@h${x};t`);
    }
    expect(compared).toBe(3 * 0x10000);
  });
});

describe('readNameAddr: the tricky cases', () => {
  const cases: [string, string, unknown, number?][] = [
    ['quoted display name with escapes', '"Bob \\"the\\" B\\\\" <sip:bob@h>;tag=1', { name: '"Bob \\"the\\" B\\\\"', uri: 'sip:bob@h', params: { tag: '1' } }],
    ['token-list display name keeps its spacing', 'Bob   Smith<sip:bob@h>', { name: 'Bob   Smith', uri: 'sip:bob@h', params: {} }],
    ['URI parameters stay in the URI, header parameters after >', '<sip:a@b;x=y>;tag=z', { name: undefined, uri: 'sip:a@b;x=y', params: { tag: 'z' } }],
    ['a bare addr-spec: its ;params are header parameters (RFC 3261 §20.10)', 'sip:a@b;tag=z', { name: undefined, uri: 'sip:a@b', params: { tag: 'z' } }],
    ['IPv6 host (RFC 5118)', '<sip:[2001:db8::10]:5070;transport=udp>;expires=60', { name: undefined, uri: 'sip:[2001:db8::10]:5070;transport=udp', params: { expires: '60' } }],
    ['Contact: * is an entry with the URI *', '*', { name: undefined, uri: '*', params: {} }],
    ['empty quoted display name', '"" <sip:a@b>', { name: '""', uri: 'sip:a@b', params: {} }],
    ['params without values are null, names lower-cased, values as written', '<sip:a@b>;LR;Expires=60;Q = "0.5";+SIP.Instance="<urn:uuid:1>"', { name: undefined, uri: 'sip:a@b', params: { lr: null, expires: '60', q: '"0.5"', '+sip.instance': '"<urn:uuid:1>"' } }],
    ['LWS inside <> : leading dropped, trailing kept (as the package did)', '< sip:a@b >', { name: undefined, uri: 'sip:a@b ', params: {} }],
    ['unterminated quoted name: read as the addr-spec "Bob (decode.ts rejects the message)', '"Bob <sip:a@b>', { name: undefined, uri: '"Bob', params: {} }, 4],
    ['no > : the addr-spec form', 'Bob <sip:a@b', { name: undefined, uri: 'Bob', params: {} }, 3],
    ['a param without a usable value stops the list there', '<sip:a@b>;a=;b=1', { name: undefined, uri: 'sip:a@b', params: { a: null } }, 11],
  ];
  for (const [what, s, want, end] of cases) {
    test(what, () => {
      const c = { s, i: 0 };
      expect(readNameAddr(c) as unknown).toStrictEqual(want);
      expect(c.i).toBe(end ?? s.length);
      same(s);
    });
  }

  test('a Contact list with commas inside quotes (the cursor stops at each comma)', () => {
    const s = '"Smith, Bob" <sip:bob@h>;q=0.5, "x,y" <sip:x@h>, sip:c@h;expires=0';
    const c = { s, i: 0 };
    const got = [readNameAddr(c)];
    while (c.i < s.length) {
      expect(s[c.i]).toBe(',');
      c.i = s.slice(c.i).search(/[^\s,]/) + c.i;
      got.push(readNameAddr(c));
    }
    expect(got as unknown).toStrictEqual([
      { name: '"Smith, Bob"', uri: 'sip:bob@h', params: { q: '0.5' } },
      { name: '"x,y"', uri: 'sip:x@h', params: {} },
      { name: undefined, uri: 'sip:c@h', params: { expires: '0' } },
    ]);
    sameList(s);
  });

  test('what cannot be read throws, as the package did', () => {
    for (const s of ['', ' ', ';', ';@', ';@;', ';@ x', ' sip:a@b']) {
      expect(() => readNameAddr({ s, i: 0 })).toThrow();
      same(s);
    }
  });
});
