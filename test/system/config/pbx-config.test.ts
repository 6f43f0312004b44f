import { describe, expect, test } from 'bun:test';
import { parseConfig, parseFeatureCodesConfig, parseVoicemailConfig } from '../../../system/config/index.ts';

describe('[feature_codes]', () => {
  test('defaults', () => {
    expect(parseFeatureCodesConfig(undefined)).toEqual({ forwardAlwaysOn: '*72', forwardAlwaysOff: '*73', dndOn: '*78', dndOff: '*79' });
  });
  const bad: [Record<string, unknown>, string][] = [
    [{ dnd_on: '78' }, 'feature_codes.dnd_on'],
    [{ dnd_on: '*7a' }, 'feature_codes.dnd_on'],
    [{ dnd_on: '*123456789' }, 'feature_codes.dnd_on'],
    [{ dnd_on: '*79' }, 'feature_codes.dnd_on'],
    [{ dnd_on: '*7' }, 'feature_codes.dnd_on'], // *7 begins *72: *72204 could not be told apart
    [{ dnd_off: '*721' }, 'feature_codes.dnd_off'],
    [{ pickup: '*8' }, 'feature_codes.pickup'],
    [{ dnd_on: '*8' }, 'feature_codes.dnd_on'], // call pickup's group code
    [{ dnd_off: '**9' }, 'feature_codes.dnd_off'], // call pickup's directed prefix
    [{ forward_always_on: '*80' }, 'feature_codes.forward_always_on'], // *8 would be read as *80 + digits
  ];
  for (const [raw, key] of bad) {
    test(`refused: ${JSON.stringify(raw)} names ${key}`, () => expect(() => parseFeatureCodesConfig(raw)).toThrow(key));
  }
});

describe('[voicemail]', () => {
  test('absent: no voicemail', () => expect(parseVoicemailConfig(undefined).uri).toBeUndefined());
  test('a URI and its options', () => {
    const c = parseConfig('[voicemail]\nuri = "sip:vm@127.0.0.1:5070"\non_busy = false\nno_answer_seconds = 15\n', 't');
    expect(c.voicemail).toEqual({ uri: 'sip:vm@127.0.0.1:5070', onBusy: false, onNoAnswer: true, noAnswerSeconds: 15 });
  });
  for (const uri of ['http://vm', 'sip:', 'sip:vm@host with space', 'vm@host', '<sip:vm@h>']) {
    test(`refused uri ${uri}`, () => expect(() => parseVoicemailConfig({ uri })).toThrow('voicemail.uri'));
  }
  test('no_answer_seconds bounded', () => expect(() => parseVoicemailConfig({ uri: 'sip:vm@h', no_answer_seconds: 1 })).toThrow('voicemail.no_answer_seconds'));
});
