import { describe, expect, test } from 'bun:test';
import { parseSipUri, sipUriKey } from '../../../../appliance/sip/message/uri.ts';
import { contactKey } from '../../../../appliance/sip/registrar/registrar-rules.ts';
import { TORTURE_CORPUS_PRESENT, tortureUris } from '../../../support/torture-uris.ts';
import { fuzzSeed, SeededRandom } from '../../../support/seeded-random.ts';

/**
 * contactKey reads a Contact with the SIP grammar (message/uri.ts `sipUriKey`, issue 13 item 5)
 * instead of a regex of its own, and must give the same key as before for every URI the
 * registrar can bind: the registrar stage answers 400/416 to a Contact `parseSipUri` refuses, and
 * a peer's binding needs one it accepts (peer-binding-rules.ts), so only a peer's removal of a
 * contact never bound reaches it with anything else (its key is then the text, trimmed).
 * `before` is the function as it was (registrar-rules.ts at 9bfd7b3), kept here to compare.
 * The one difference: an `@` the grammar's (lax) regex lets into a URI's parameters or headers
 * (`sip:a;?x=y@H%41`, not RFC 3261 §25.1 grammar: paramchar and hvalue have no bare `@`), where
 * `before` took the text after the `@` for the host. The key now lower-cases the host the grammar
 * reads, the one the proxy would send to; seeded mutations found no other (in 5 x 20,000).
 */
function before(uri: string): string {
  const m = /^(sips?):(?:([^@]*)@)?([^;?]*)(.*)$/i.exec(uri.trim());
  return m ? `${m[1].toLowerCase()}:${m[2] !== undefined ? `${m[2]}@` : ''}${m[3].toLowerCase()}${m[4]}` : uri.trim();
}

/** Real Contacts and Request-URIs, one per row: [uri, key]. */
const TABLE: [string, string][] = [
  ['sip:201@192.168.1.21:5062', 'sip:201@192.168.1.21:5062'],
  ['SIP:201@Phone.Office.LAN:5062', 'sip:201@phone.office.lan:5062'],
  ['Sips:201@Phone.Office.LAN', 'sips:201@phone.office.lan'],
  [' sip:201@h ', 'sip:201@h'],
  ['sip:Alice@H', 'sip:Alice@h'],
  // IPv6 references (RFC 5118 §4): the address lower-cased with the host, the port kept.
  ['sip:201@[2001:DB8::1]:5062;transport=tcp', 'sip:201@[2001:db8::1]:5062;transport=tcp'],
  ['sip:[2001:db8::7]', 'sip:[2001:db8::7]'],
  // Parameters and headers as sent (Linphone, Yealink, Grandstream Contacts).
  ['sip:201@10.0.0.5:5060;transport=UDP;rinstance=9f1c2d3e4b5a6978', 'sip:201@10.0.0.5:5060;transport=UDP;rinstance=9f1c2d3e4b5a6978'],
  ['sip:linphone@192.0.2.4:40506;app-id=929724111839;pn-type=firebase;pn-tok=x;pn-timeout=0;pn-silent=1', 'sip:linphone@192.0.2.4:40506;app-id=929724111839;pn-type=firebase;pn-tok=x;pn-timeout=0;pn-silent=1'],
  ['sip:201@Host;Transport=TCP?Subject=Hi&Priority=urgent', 'sip:201@host;Transport=TCP?Subject=Hi&Priority=urgent'],
  ['sip:201@h?', 'sip:201@h?'],
  // A user with ';' (RFC 4475 §3.1.1.9 semiuri), escapes (§3.1.1.3/4), a password (§19.1.1).
  ['sip:user;par=u%40example.net@Example.COM', 'sip:user;par=u%40example.net@example.com'],
  ['sip:sips%3Auser%40example.com@EXAMPLE.net', 'sip:sips%3Auser%40example.com@example.net'],
  ['sip:null-%00-null@example.com', 'sip:null-%00-null@example.com'],
  ['sip:201:Secret@Host:5060', 'sip:201:Secret@host:5060'],
  ['sip:201:@h', 'sip:201:@h'],
  // Not SIP URIs: the text, trimmed.
  ['tel:+1-201-555-0123', 'tel:+1-201-555-0123'],
  [' TEL:+4930123;phone-context=Example.com ', 'TEL:+4930123;phone-context=Example.com'],
  ['mailto:Alice@Example.com', 'mailto:Alice@Example.com'],
];

/** The grammar reads no user and a bare `@` in the parameters or headers: where `before` differed. */
function laxAt(uri: string): boolean {
  const u = parseSipUri(uri.trim());
  return u !== undefined && u.user === undefined && uri.includes('@');
}

const present = TORTURE_CORPUS_PRESENT;
const corpus: string[] = tortureUris();

/** The grammar accepts it: the registrar could bind it. */
const bindable = (uri: string) => parseSipUri(uri.trim()) !== undefined;

describe('contactKey with the SIP grammar', () => {
  test.each(TABLE)('%p → %p', (uri, key) => {
    expect(contactKey(uri)).toBe(key);
    expect(before(uri)).toBe(key);
  });

  test('the one difference: the grammar reads the host before a lax `@` (before: the text after it)', () => {
    const uri = 'sip:User;?par=u%40example.net@Example.CO%41M';
    expect(laxAt(uri)).toBe(true);
    expect(parseSipUri(uri)?.host).toBe('User');
    expect(contactKey(uri)).toBe('sip:user;?par=u%40example.net@Example.CO%41M');
    expect(before(uri)).toBe('sip:User;?par=u%40example.net@example.co%41m');
  });

  test.skipIf(!present)('every URI of the RFC 4475 / 5118 corpus: the key it had when bindable, its text otherwise', () => {
    let compared = 0;
    for (const uri of corpus) {
      if (bindable(uri)) {
        compared++;
        expect(laxAt(uri)).toBe(false);
        expect({ uri, key: contactKey(uri) }).toEqual({ uri, key: before(uri) });
      } else expect({ uri, key: contactKey(uri) }).toEqual({ uri, key: uri.trim() });
    }
    expect(compared).toBeGreaterThan(60);
  });

  const NOISE = ['SIP:', 'sips:', 'Sip:', '@', ':', ';', '?', '&', '=', '%41', '%00', '[', ']', '[::1]', '[2001:DB8::A]', ' ', 'A', 'z', '5060', ':70000', ';Transport=TCP', ';lr', 'tel:', '>', '\t'];
  const seed = fuzzSeed();
  test(`20,000 seeded mutations of the table and corpus (FUZZ_SEED=${seed})`, () => {
    const r = new SeededRandom(seed);
    const pool = [...TABLE.map(([u]) => u), ...corpus];
    let bound = 0;
    let lax = 0;
    for (let n = 0; n < 20_000; n++) {
      let v = r.pick(pool);
      for (let k = r.range(1, 3); k > 0; k--) {
        const at = r.int(v.length + 1);
        v = r.chance(0.7) ? v.slice(0, at) + r.pick(NOISE) + v.slice(at) : v.slice(0, at) + v.slice(at + 1 + r.int(3));
      }
      if (laxAt(v)) {
        lax++;
        if (contactKey(v) !== sipUriKey(v.trim())) expect({ v, key: contactKey(v) as string | undefined }).toEqual({ v, key: sipUriKey(v.trim()) });
      } else if (bindable(v)) {
        bound++;
        if (contactKey(v) !== before(v)) expect({ v, key: contactKey(v) }).toEqual({ v, key: before(v) });
      } else if (contactKey(v) !== v.trim()) expect({ v, key: contactKey(v) }).toEqual({ v, key: v.trim() });
    }
    expect(bound).toBeGreaterThan(5_000);
    expect(lax).toBeLessThan(bound);
  });

  test('sipUriKey: undefined for what is not a SIP URI (port 0 or over 65535, a bracketed non-address)', () => {
    for (const t of ['tel:+4930123', 'sip:201@h:0', 'sip:201@h:70000', 'sip:201@[1.2.3.4]', 'sip:201@[::1', 'sip: 201@h', 'sip:201@h_x', '']) {
      expect({ t, key: sipUriKey(t) }).toEqual({ t, key: undefined });
    }
  });

  test('memoised: the same key again once the cache (4,096 texts) started over', () => {
    expect(contactKey('SIP:memo@Host')).toBe('sip:memo@host');
    for (let i = 0; i < 5000; i++) expect(contactKey(`SIP:${i}@H`)).toBe(`sip:${i}@h`);
    expect(contactKey('SIP:memo@Host')).toBe('sip:memo@host');
  });
});
