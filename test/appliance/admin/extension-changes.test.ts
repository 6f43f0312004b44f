import { expect, test } from 'bun:test';
import { extensionChanges } from '../../../appliance/admin/extension-changes.ts';
import type { ExtensionRecord } from '../../../system/store/index.ts';

/** What the event log says an extension edit changed (appliance/admin/extension-changes.ts). */
const base: ExtensionRecord = {
  number: '201', displayName: 'Front desk', realm: 'office.lan', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), e164: null, digest: 'default',
  callClass: 'national', maxOutsideCalls: 2, outsideCallsPerHour: 30, outboundCallerId: null, createdAt: 1, updatedAt: 1,
};
const cases: [string, Partial<ExtensionRecord>, string[], string[]][] = [
  ['nothing', {}, [], []],
  ['the name', { displayName: 'Reception' }, ['name "Front desk" → "Reception"'], ['displayName']],
  ['an E.164 number added, the class raised', { e164: '+15551230201', callClass: 'international' },
    ['E.164 number none → "+15551230201"', 'outside calls "national" → "international"'], ['e164', 'callClass']],
  ['limits', { maxOutsideCalls: 0, outsideCallsPerHour: 5 }, ['outside calls at once 2 → 0', 'outside calls per hour 30 → 5'], ['maxOutsideCalls', 'outsideCallsPerHour']],
  ['the password: said, never shown', { ha1Md5: 'c'.repeat(32), ha1Sha256: 'd'.repeat(64) }, ['password changed'], ['password']],
];
test.each(cases)('%s', (_name, patch, words, fields) => {
  const got = extensionChanges(base, { ...base, ...patch, updatedAt: 2 });
  expect(got.words).toEqual(words);
  expect(got.fields).toEqual(fields);
  expect(got.words.join(' ')).not.toMatch(/[a-d]{32}/);
});
