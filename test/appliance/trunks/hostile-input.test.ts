import { describe, expect, test } from 'bun:test';
import { parseConfig } from '../../../system/config/index.ts';
import { readRegisterResponse } from '../../../appliance/trunks/register-response.ts';
import { TrunkBoard } from '../../../appliance/trunks/trunk-board.ts';
import { fuzzSeed, SeededRandom } from '../../support/seeded-random.ts';

/** Attack tests for the trunks' entry points: a hostile registrar's responses, forged IPC reports. */
const OURS = 'sip:5551230000@127.0.180.1:5060';

describe('a hostile registrar\'s REGISTER responses', () => {
  test('mutated challenges and headers never throw, and only well-formed MD5/SHA-256 challenges are taken', () => {
    const seed = fuzzSeed();
    const rnd = new SeededRandom(seed);
    const pieces = ['Digest ', 'realm=', '"', '\\', ',', 'nonce=', 'qop=', 'auth', 'auth-int', 'algorithm=', 'MD5', 'SHA-256', 'stale=', 'true', ' ', '\r\n ', '=', 'x'.repeat(300), '\u0000', 'é'];
    const started = Date.now();
    for (let i = 0; i < 3000 && Date.now() - started < 5000; i++) {
      const value = Array.from({ length: rnd.range(1, 30) }, () => rnd.pick(pieces)).join('');
      const wire = `SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: ${value}\r\nContact: ${value}\r\nMin-Expires: ${value}\r\nExpires: ${value}\r\n\r\n`;
      let r;
      try {
        r = readRegisterResponse(wire, rnd.pick([200, 401, 407, 423]), 'X', OURS);
      } catch (err) {
        throw new Error(`seed ${seed}, input ${JSON.stringify(value)}: ${err}`);
      }
      for (const c of r.challenges) {
        expect(['MD5', 'SHA-256']).toContain(c.algorithm);
        expect(c.nonce.length).toBeGreaterThan(0);
      }
    }
  });
  test('a pathological header (100 kB of auth-params) is read in bounded time', () => {
    const value = `Digest realm="r", nonce="n", ${'a=b, '.repeat(20_000)}qop="auth"`;
    const t0 = performance.now();
    const r = readRegisterResponse(`SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: ${value}\r\n\r\n`, 401, 'Unauthorized', OURS);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.challenges).toHaveLength(1);
  });
});

describe('trunk status reports over the IPC (control section side)', () => {
  const config = parseConfig('[[trunks]]\nname = "provider"\nregistrar = "sip.provider.example"\nusername = "u"\npassword = "p"\n[emergency]\ntrunk = "provider"\n', 't');
  test('malformed or unknown reports are ignored; a well-formed one is shown', () => {
    const board = new TrunkBoard(config.trunks);
    const bad: unknown[] = [
      null, 'up', { name: 'provider' }, { name: 'provider', state: 'hacked', registrar: 'x' },
      { name: 'provider', state: 'up', registrar: 'x', reason: 42 }, { name: 'other', state: 'up', registrar: 'x' },
      { name: 'provider', state: 'up', registrar: 'x', expiresAt: 'soon' }, { name: ['provider'], state: 'up', registrar: 'x' },
    ];
    for (const b of bad) expect(board.apply(b)).toBe(false);
    expect(board.list()).toEqual([{ name: 'provider', state: 'registering', reason: undefined, registrar: 'sip.provider.example', expiresAt: undefined, retryAt: undefined }]);
    expect(board.apply({ name: 'provider', state: 'up', registrar: 'sip.provider.example', reason: null, expiresAt: 5, retryAt: null })).toBe(true);
    expect(board.list()[0]).toMatchObject({ state: 'up', expiresAt: 5, reason: undefined, retryAt: undefined });
    board.reset();
    expect(board.list()[0].state).toBe('registering');
  });
});
