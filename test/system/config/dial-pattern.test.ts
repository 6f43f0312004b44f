import { describe, expect, test } from 'bun:test';
import { backtrackingRisk, dialPattern } from '../../../system/config/dial-pattern.ts';
import { ConfigError } from '../../../system/errors/index.ts';

/** Dial-plan patterns run on every INVITE: those that can backtrack catastrophically are refused. */
describe('backtrackingRisk', () => {
  const safe = [
    '^9(1[2-9][0-9]{9})$', '^9011([0-9]{6,15})$', '^9([2-9][0-9]{6})$', '^91900[0-9]{7}$', '^\\+?1555123(01[0-9][0-9])$',
    '^(?:0|00)([1-9][0-9]+)$', '^(\\d+)?$', '^(?:9)+$', '^[(|)+]*$', '^(?<n>[0-9]{3})-?[0-9]+$', '^(1[0-9]){2}$', '^x(a|b)?y$',
  ];
  for (const p of safe) test(`safe: ${p}`, () => expect(backtrackingRisk(p)).toBeUndefined());
  const risky: [string, RegExp][] = [
    ['^(9+)+$', /repeated group/], ['^(a*)*b$', /repeated group/], ['^(1|11)*$', /repeated group/], ['^((?:[0-9]{2,})){3,}$', /repeated group/],
    ['^(?:(a+)?)+$', /repeated group/], ['^(x(1|2))+$', /repeated group/], ['^(\\d+){1,30}$', /repeated group/], ['^(a+)+?$', /repeated group/],
    ['^(1)\\1$', /back-references/], ['^(?<d>1)\\k<d>$', /back-references/], ['1'.repeat(201), /longer than/],
  ];
  for (const [p, why] of risky) test(`refused: ${p.slice(0, 30)}`, () => expect(backtrackingRisk(p)).toMatch(why));
});

describe('dialPattern', () => {
  test('a valid, safe pattern compiles', () => expect(dialPattern('^9(1[2-9][0-9]{9})$', 'routes[0].pattern').test('912125551234')).toBe(true));
  test('one that does not compile: the error names the key', () => {
    expect(() => dialPattern('^9(1', 'pattern')).toThrow(ConfigError);
    expect(() => dialPattern('^9(1', 'pattern')).toThrow(/pattern.*not a valid regular expression/);
  });
  test('a catastrophic one: refused naming the key and why', () => {
    expect(() => dialPattern('^(9+)+$', 'routes[3].pattern')).toThrow(/routes\[3\]\.pattern.*catastrophic backtracking/);
  });
});
