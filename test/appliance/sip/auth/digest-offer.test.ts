import { describe, expect, test } from 'bun:test';
import { agentProduct, algorithmMask, maskAlgorithms, offeredAlgorithms } from '../../../../appliance/sip/auth/digest-offer.ts';

describe('offeredAlgorithms', () => {
  const rows: [Parameters<typeof offeredAlgorithms>[0], ('MD5' | 'SHA-256')[], boolean, ('MD5' | 'SHA-256')[]][] = [
    ['default', ['MD5'], false, ['MD5']],
    ['default', ['MD5'], true, ['SHA-256']],
    ['default', ['SHA-256', 'MD5'], false, ['SHA-256', 'MD5']],
    ['md5', ['SHA-256'], true, ['MD5']],
    ['both', ['MD5'], false, ['SHA-256', 'MD5']],
    ['both', ['MD5'], true, ['SHA-256']],
    ['sha-256', ['MD5'], false, ['SHA-256']],
  ];
  for (const [policy, defaults, learnt, expected] of rows) {
    test(`${policy}, defaults ${defaults.join('+')}, learnt ${learnt} → ${expected.join(', ')}`, () => {
      expect([...offeredAlgorithms(policy, defaults, learnt)]).toEqual(expected);
    });
  }
});

describe('agentProduct: the phone model a User-Agent names (RFC 3261 §20.41)', () => {
  const rows: [string | undefined, string][] = [
    ['Linphone-Desktop/5.2.0 (belle-sip/5.2.0)', 'linphone-desktop'],
    ['baresip v1.0.0 (x86_64/linux)', 'baresip'],
    ['Yealink SIP-T46S 66.86.0.15', 'yealink'],
    ['Grandstream GXP2170 1.0.11.3', 'grandstream'],
    ['PolycomVVX-VVX_450-UA/6.4.3.5018', 'polycomvvx-vvx_450-ua'],
    ['snomD785/10.1.127.10', 'snomd785'],
    ['  Zoiper rv2.10.19.5  ', 'zoiper'],
    ['', ''],
    [undefined, ''],
    ['<script>/1', 'script'],
    ['x'.repeat(300), 'x'.repeat(64)],
  ];
  for (const [ua, expected] of rows) test(`${JSON.stringify(ua)?.slice(0, 50)} → "${expected.slice(0, 20)}"`, () => expect(agentProduct(ua)).toBe(expected));
});

describe('algorithm mask in nonces', () => {
  for (const algs of [['MD5'], ['SHA-256'], ['SHA-256', 'MD5']] as ('MD5' | 'SHA-256')[][]) {
    test(algs.join('+'), () => expect(maskAlgorithms(algorithmMask(algs))).toEqual(algs.includes('SHA-256') && algs.includes('MD5') ? ['SHA-256', 'MD5'] : algs));
  }
  for (const bad of ['', '4', 'f', '01', 'x']) test(`"${bad}" names nothing`, () => expect(maskAlgorithms(bad)).toEqual([]));
});
