import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNameAddr } from '../../appliance/sip/message/name-addr.ts';
import { splitCommas } from '../../appliance/sip/message/via.ts';

/** The RFC 4475 / 5118 torture corpus in ../shared (its SOURCES.md says where each message comes from). */
const CORPUS = resolve(import.meta.dir, '../../../shared/testdata/sip-torture');
export const TORTURE_CORPUS_PRESENT = existsSync(CORPUS);
const NAMES = new Set(['to', 't', 'from', 'f', 'contact', 'm', 'route', 'record-route', 'reply-to', 'refer-to', 'r', 'path']);

/** Every URI of the corpus: Request-URIs and the URIs of its name-addr values (To, From, Contact, Route...); [] without the corpus. */
export function tortureUris(): string[] {
  if (!TORTURE_CORPUS_PRESENT) return [];
  return ['rfc4475', 'rfc5118', 'extra'].flatMap((dir) => readdirSync(join(CORPUS, dir)).sort().flatMap((f) => {
    const s = readFileSync(join(CORPUS, dir, f)).toString('latin1');
    const end = s.indexOf('\r\n\r\n');
    const lines = (end < 0 ? s : s.slice(0, end)).replace(/\r\n[ \t]+/g, ' ').split('\r\n');
    const out = [lines[0].split(' ')[1] ?? ''];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0 || !NAMES.has(line.slice(0, colon).trim().toLowerCase())) continue;
      for (const part of splitCommas(line.slice(colon + 1))) {
        try {
          out.push(readNameAddr({ s: part.trim(), i: 0 }).uri);
        } catch {
          // not a name-addr: decode.ts refuses the message
        }
      }
    }
    return out;
  }));
}
