import { describe, expect, test } from 'bun:test';
import { parseSipUri } from '../../../appliance/sip/message/uri.ts';
import { contactMatchKey, grantedExpires } from '../../../appliance/trunks/register-response.ts';
import { TORTURE_CORPUS_PRESENT, tortureUris } from '../../support/torture-uris.ts';
import { fuzzSeed, SeededRandom } from '../../support/seeded-random.ts';

/**
 * A trunk's UA finds its own Contact in the provider's 2xx with the SIP grammar (message/uri.ts
 * `parseSipUri`, issue 13 item 5), no regex of its own. `before` is the function as it was
 * (register-response.ts `normaliseUri` at b109711), kept here to compare. They agree on every
 * URI the grammar reads except where the old regex read something else:
 * - a port with leading zeros (`:05060`): now the number, as §19.1.4 compares ports;
 * - a bare `@` the grammar's (lax) regex lets into parameters or headers (`sip:a;?x=y@H`, not
 *   RFC 3261 §25.1: paramchar and hvalue have no bare `@`): the host is the one before it.
 * What the grammar refuses compares as its lower-cased text, where `before` kept the user's case
 * and cut at the first `;` or `?`: such a Contact never matches ours (we build ours with the
 * grammar, and lower-casing keeps a text refused), so the Expires header decides, as it should.
 */
function before(uri: string): string {
  const m = /^(sips?):([^@]+@)?([^;?]+)/i.exec(uri.trim());
  return m ? `${m[1].toLowerCase()}:${m[2] ?? ''}${m[3].toLowerCase()}` : uri.trim().toLowerCase();
}

/** Contacts as providers echo them (Kamailio, Asterisk, sipgate-style), one per row: [uri, key]. */
const TABLE: [string, string][] = [
  ['sip:5551230000@127.0.180.1:5060', 'sip:5551230000@127.0.180.1:5060'],
  ['SIP:5551230000@127.0.180.1:5060', 'sip:5551230000@127.0.180.1:5060'],
  ['sip:5551230000@127.0.180.1:5060;transport=udp', 'sip:5551230000@127.0.180.1:5060'],
  ['sip:5551230000@203.0.113.9:5060;transport=UDP;ob;expires=120', 'sip:5551230000@203.0.113.9:5060'],
  ['sip:Office@Trunk.Example.NET:5061;transport=tls', 'sip:Office@trunk.example.net:5061'],
  ['sips:office@trunk.example.net', 'sips:office@trunk.example.net'],
  [' sip:office@h ', 'sip:office@h'],
  ['sip:office@h?Subject=x', 'sip:office@h'],
  ['sip:201:Secret@Host:5060', 'sip:201:Secret@host:5060'],
  ['sip:user;par=u%40example.net@Example.COM', 'sip:user;par=u%40example.net@example.com'],
  // IPv6 references (RFC 5118 §4): the address lower-cased with the host.
  ['sip:office@[2001:DB8::1]:5062;transport=tcp', 'sip:office@[2001:db8::1]:5062'],
  ['sip:[2001:db8::7]', 'sip:[2001:db8::7]'],
  // Not SIP URIs: the text, trimmed and lower-cased.
  ['tel:+1-201-555-0123', 'tel:+1-201-555-0123'],
  [' Mailto:Office@Example.com ', 'mailto:office@example.com'],
  ['*', '*'],
];

/** The grammar reads it. */
const readable = (uri: string) => parseSipUri(uri.trim()) !== undefined;
/** Where the two readings differ by design: a port with leading zeros, or a bare `@` after the host. */
function known(uri: string): boolean {
  const text = uri.trim();
  const u = parseSipUri(text);
  if (!u) return false;
  // The host follows the first `@` (user and password have none), else the scheme.
  const hostEnd = (u.user === undefined ? text.indexOf(':') + 1 : text.indexOf('@') + 1) + u.host.length;
  return text.startsWith(':0', hostEnd) || (u.user === undefined && text.includes('@'));
}

const present = TORTURE_CORPUS_PRESENT;
const corpus: string[] = tortureUris();

describe('contactMatchKey with the SIP grammar', () => {
  test.each(TABLE)('%p → %p', (uri, key) => {
    expect(contactMatchKey(uri)).toBe(key);
    expect(before(uri)).toBe(key);
  });

  test('the differences by design: a zero-padded port is its number; the host before a lax `@`', () => {
    expect(contactMatchKey('sip:office@h:05060')).toBe('sip:office@h:5060');
    expect(before('sip:office@h:05060')).toBe('sip:office@h:05060');
    // `%` is no host character: the grammar backtracks to no user, host `Office`, the rest headers.
    const lax = 'sip:Office;?par=x@Example.CO%41M';
    expect(known(lax)).toBe(true);
    expect(contactMatchKey(lax)).toBe('sip:office');
    expect(before(lax)).toBe('sip:Office;?par=x@example.co%41m');
  });

  test('a Contact the grammar refuses never matches ours: the Expires header decides', () => {
    const ours = 'sip:5551230000@127.0.180.1:5060';
    const wire = (contact: string) => `SIP/2.0 200 OK\r\nContact: <${contact}>;expires=45\r\nExpires: 300\r\n\r\n`;
    expect(grantedExpires(wire('sip:5551230000@127.0.180.1:5060;transport=UDP'), ours)).toBe(45);
    expect(grantedExpires(wire('sip:5551230000@127.0.180.1:05060'), ours)).toBe(45);
    // A space in a parameter: `before` cut at the `;` and matched; the grammar refuses the URI.
    expect(before('sip:5551230000@127.0.180.1:5060;a b')).toBe(before(ours));
    expect(grantedExpires(wire('sip:5551230000@127.0.180.1:5060;a b'), ours)).toBe(300);
  });

  test.skipIf(!present)('every URI of the RFC 4475 / 5118 corpus the grammar reads: the key it had', () => {
    let compared = 0;
    for (const uri of corpus) {
      if (!readable(uri) || known(uri)) continue;
      compared++;
      expect({ uri, key: contactMatchKey(uri) }).toEqual({ uri, key: before(uri) });
    }
    expect(compared).toBeGreaterThan(60);
  });

  const NOISE = ['SIP:', 'sips:', 'Sip:', '@', ':', ';', '?', '&', '=', '%41', '[', ']', '[::1]', '[2001:DB8::A]', ' ', 'A', 'z', '5060', ':070', ':70000', ';Transport=TCP', ';ob', 'tel:', '>', '\t'];
  const seed = fuzzSeed();
  test(`20,000 seeded mutations of the table and corpus (FUZZ_SEED=${seed})`, () => {
    const r = new SeededRandom(seed);
    const pool = [...TABLE.map(([u]) => u), ...corpus];
    let read = 0;
    let differ = 0;
    for (let n = 0; n < 20_000; n++) {
      let v = r.pick(pool);
      for (let k = r.range(1, 3); k > 0; k--) {
        const at = r.int(v.length + 1);
        v = r.chance(0.7) ? v.slice(0, at) + r.pick(NOISE) + v.slice(at) : v.slice(0, at) + v.slice(at + 1 + r.int(3));
      }
      if (!readable(v)) {
        // Refused by the grammar: its lower-cased text, never the key of a URI the grammar reads.
        if (contactMatchKey(v) !== v.trim().toLowerCase()) expect({ v, key: contactMatchKey(v) }).toEqual({ v, key: v.trim().toLowerCase() });
        if (readable(contactMatchKey(v))) expect({ v, readable: true }).toEqual({ v, readable: false });
      } else if (known(v)) differ++;
      else {
        read++;
        if (contactMatchKey(v) !== before(v)) expect({ v, key: contactMatchKey(v) }).toEqual({ v, key: before(v) });
      }
    }
    expect(read).toBeGreaterThan(5_000);
    expect(differ).toBeLessThan(read);
  });
});
