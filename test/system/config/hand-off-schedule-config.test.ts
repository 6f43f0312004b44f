import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../../../system/config/index.ts';

const PEER = '[[peers]]\nname = "b"\nurl = "http://10.0.0.3:8080"\nsip = "10.0.0.3:5060"\nsecret = "a-long-shared-secret-0123"\n';
const parse = (entries: string, peers = PEER) => parseConfig(`data_dir = "/var/lib/oa"\n${peers}${entries}`, 'test', '/etc/oa');

describe('[[control.hand_off_schedule]]', () => {
  test('absent: no windows', () => {
    expect(parse('').control.handOffSchedule).toEqual([]);
  });

  test.each([
    ['schedule = "0 2 * * *"\nduration = "2h"\npeer = "b"', { schedule: '0 2 * * *', durationSeconds: 7200, peer: 'b' }],
    ['schedule = "*/20 * * * * *"\nduration = "8s"', { schedule: '*/20 * * * * *', durationSeconds: 8 }],
    ['schedule = "30 1 * * 0"\nduration = "1h30m"', { schedule: '30 1 * * 0', durationSeconds: 5400 }],
    ['schedule = "0 22 * * 1-5"\nduration = "24h"', { schedule: '0 22 * * 1-5', durationSeconds: 86400 }],
  ])('accepted: %s', (text, want) => {
    expect(parse(`[[control.hand_off_schedule]]\n${text}\n`).control.handOffSchedule).toEqual([want]);
  });

  test.each([
    ['schedule = "0 2 * * *"', 'control.hand_off_schedule[0].duration: is required'],
    ['duration = "1h"', 'control.hand_off_schedule[0].schedule: is required'],
    ['schedule = "nightly"\nduration = "1h"', 'control.hand_off_schedule[0].schedule'],
    ['schedule = "61 * * * *"\nduration = "1h"', 'control.hand_off_schedule[0].schedule'],
    ['schedule = "0 2 * * *"\nduration = "2 hours"', 'control.hand_off_schedule[0].duration: "2 hours" is not a duration'],
    ['schedule = "0 2 * * *"\nduration = "25h"', 'control.hand_off_schedule[0].duration: "25h" is not between 1 s and 24 h'],
    ['schedule = "0 2 * * *"\nduration = "0s"', 'control.hand_off_schedule[0].duration'],
    ['schedule = "0 2 * * *"\nduration = 3600', 'control.hand_off_schedule[0].duration: expected a non-empty string'],
    ['schedule = "0 2 * * *"\nduration = "1h"\npeer = "c"', 'control.hand_off_schedule[0].peer: "c" is not one of the [[peers]] (b)'],
    ['schedule = "0 2 * * *"\nduration = "1h"\ntarget = "b"', 'control.hand_off_schedule[0].target: unknown key'],
  ])('refused, naming the key: %s', (text, key) => {
    expect(() => parse(`[[control.hand_off_schedule]]\n${text}\n`)).toThrow(key);
  });

  test('the second entry is named when it is the bad one', () => {
    expect(() => parse('[[control.hand_off_schedule]]\nschedule = "0 2 * * *"\nduration = "1h"\n[[control.hand_off_schedule]]\nschedule = "0 3 * * *"\nduration = "x"\n'))
      .toThrow('control.hand_off_schedule[1].duration');
  });

  test('a schedule with no peer to hand to is refused', () => {
    expect(() => parse('[[control.hand_off_schedule]]\nschedule = "0 2 * * *"\nduration = "1h"\n', '')).toThrow('control.hand_off_schedule: needs at least one [[peers]] entry');
  });

  test('not a list of tables', () => {
    expect(() => parse('[control]\nhand_off_schedule = "0 2 * * *"\n')).toThrow('control.hand_off_schedule: expected a list of tables');
  });
});
