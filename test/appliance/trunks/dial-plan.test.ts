import { describe, expect, test } from 'bun:test';
import { classPermits, inboundTarget, routeDialled } from '../../../appliance/trunks/dial-plan.ts';
import type { InboundConfig, RouteConfig } from '../../../system/config/trunk-config.ts';

const route = (name: string, pattern: string, replace: string, cls: RouteConfig['class'], trunk = 'provider', ...failover: string[]): RouteConfig =>
  ({ name, pattern, regex: new RegExp(pattern), replace, trunk, class: cls, failover });
const ROUTES = [
  route('local', '^9([2-9][0-9]{6})$', '+1555$1', 'local'),
  route('premium', '^91900[0-9]{7}$', '$&', 'premium'),
  route('national', '^9(1[2-9][0-9]{9})$', '+$1', 'national', 'provider', 'backup'),
  route('international', '^9011([0-9]{6,15})$', '+$1', 'international', 'backup'),
];
const EMERGENCY = { numbers: ['911', '112'], trunk: 'provider' };

describe('routeDialled', () => {
  const rows: [string, string, object | undefined][] = [
    ['an emergency number, whatever the routes', '911', { route: 'emergency', trunk: 'provider', number: '911', class: 'emergency' }],
    ['112', '112', { route: 'emergency', number: '112' }],
    ['local: prefix 9, the area code added', '95551234', { route: 'local', number: '+15555551234', class: 'local' }],
    ['national: the route\'s fail-over trunk comes along', '912125551234', { route: 'national', number: '+12125551234', failover: ['backup'] }],
    ['international on another trunk', '9011441234567890', { route: 'international', trunk: 'backup', number: '+441234567890' }],
    ['$& keeps the whole number; premium listed before national wins', '919005551234', { route: 'premium', number: '919005551234', class: 'premium' }],
    ['first match wins (local before national)', '92125551', { route: 'local' }],
    ['an extension number matches no route', '201', undefined],
    ['a partial match is none (the patterns are anchored)', '9121255512345', undefined],
  ];
  for (const [name, dialled, want] of rows) {
    test(name, () => {
      const r = routeDialled(dialled, ROUTES, EMERGENCY);
      if (want === undefined) expect(r).toBeUndefined();
      else expect(r).toMatchObject(want);
    });
  }
  test('emergency numbers without an emergency trunk are not routed (no trunks configured)', () => {
    expect(routeDialled('911', ROUTES, { numbers: ['911'], trunk: undefined })).toBeUndefined();
  });
  test('a route regex with the g flag gives the same answer every time', () => {
    const g = [{ ...ROUTES[2], regex: /^9(1[2-9][0-9]{9})$/g }];
    expect([1, 2, 3].map(() => routeDialled('912125551234', g, EMERGENCY)?.number)).toEqual(['+12125551234', '+12125551234', '+12125551234']);
  });
});

describe('classPermits', () => {
  const rows: [RouteConfig['class'], RouteConfig['class'] | 'emergency', boolean][] = [
    ['national', 'internal', true], ['national', 'local', true], ['national', 'national', true],
    ['national', 'international', false], ['national', 'premium', false], ['international', 'international', true],
    ['international', 'premium', false], ['premium', 'premium', true], ['internal', 'local', false],
    ['internal', 'emergency', true], ['internal', 'national', false],
  ];
  for (const [allowed, call, ok] of rows) test(`${allowed} → ${call}: ${ok}`, () => expect(classPermits(allowed, call)).toBe(ok));
});

describe('inboundTarget', () => {
  const inbound: InboundConfig[] = [
    { did: '+15551230100', match: { kind: 'number', number: '+15551230100' }, trunk: 'provider', to: '201' },
    { did: '^\\+1555123020[0-9]$', match: { kind: 'pattern', regex: /^\+1555123020[0-9]$/ }, trunk: 'provider', to: '202' },
    { did: '*', match: { kind: 'any' }, trunk: 'backup', to: '200' },
  ];
  const rows: [string, string, (string | undefined)[], string | undefined][] = [
    ['the number in To', 'provider', ['+15551230100', '5551230000'], '201'],
    ['without the +', 'provider', ['15551230100'], '201'],
    ['in the Request-URI when To names the account', 'provider', ['5551230000', '+15551230100'], '201'],
    ['a pattern', 'provider', ['+15551230207'], '202'],
    ['any number on the other trunk', 'backup', ['+4930123456'], '200'],
    ['an unknown number', 'provider', ['+15559999999'], undefined],
    ['a number of another trunk\'s entry is not this trunk\'s', 'backup', ['+15551230100'], '200'],
    ['nothing named', 'provider', [undefined, undefined], undefined],
  ];
  for (const [name, trunk, numbers, want] of rows) test(name, () => expect(inboundTarget(trunk, numbers, inbound)).toBe(want));
});
