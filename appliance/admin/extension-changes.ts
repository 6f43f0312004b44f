import type { ExtensionRecord } from '../../system/store/index.ts';

/** The fields an admin edits, with the words the event log uses for them. */
const FIELDS: [keyof ExtensionRecord, string][] = [
  ['displayName', 'name'], ['e164', 'E.164 number'], ['digest', 'digest'], ['callClass', 'outside calls'],
  ['maxOutsideCalls', 'outside calls at once'], ['outsideCallsPerHour', 'outside calls per hour'], ['outboundCallerId', 'outbound caller ID'],
];

const shown = (v: unknown) => (v === null || v === '' ? 'none' : typeof v === 'string' ? `"${v}"` : String(v));

/**
 * What an edit of an extension changed, in words for the event log ("name "Front desk" →
 * "Reception", password changed"): each edited field with its old and new value; the password
 * only as "changed" (its hashes are secrets: neither value is written anywhere). Empty when
 * nothing changed. Pure.
 */
export function extensionChanges(before: ExtensionRecord, after: ExtensionRecord): { words: string[]; fields: string[] } {
  const words: string[] = [];
  const fields: string[] = [];
  for (const [key, label] of FIELDS) {
    if (before[key] === after[key]) continue;
    words.push(`${label} ${shown(before[key])} → ${shown(after[key])}`);
    fields.push(key);
  }
  if (before.ha1Md5 !== after.ha1Md5 || before.ha1Sha256 !== after.ha1Sha256) {
    words.push('password changed');
    fields.push('password');
  }
  return { words, fields };
}
