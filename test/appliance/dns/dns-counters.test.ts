import { describe, expect, test } from 'bun:test';
import { DnsCounters, questionType } from '../../../appliance/dns/dns-counters.ts';

/** DNS answers counted by query type (read in place from the question) and RCODE. */
function query(name: string, type: number): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, type >> 8, type & 0xff, 0, 1]);
}

describe('DNS counters', () => {
  test.each([
    ['sip.office.lan', 1, 1], ['_sip._udp.office.lan', 33, 33], ['x', 28, 28], ['e164', 0xff01, 0xff01],
  ])('question type of %s/%p is %p', (name, type, want) => {
    expect(questionType(query(name, type))).toBe(want);
  });
  test.each([
    ['too short', Uint8Array.from([1, 2, 3])],
    ['header only', new Uint8Array(12)],
    ['a compression pointer in the question', Uint8Array.from([...new Uint8Array(12), 0xc0, 0x0c, 0, 1, 0, 1])],
    ['a label running past the end', Uint8Array.from([...new Uint8Array(12), 40, 97, 98])],
    ['no room for the type', Uint8Array.from([...new Uint8Array(12), 1, 97, 0, 0])],
  ])('%s: -1 (counted as "other")', (_, msg) => {
    expect(questionType(msg)).toBe(-1);
  });
  test('answers by type and rcode; unknown types as "other"; latency observed', () => {
    const c = new DnsCounters();
    const answer = (rcode: number) => Uint8Array.from([0x12, 0x34, 0x84, rcode]);
    c.answered(query('a.office.lan', 1), answer(0), 0.0002);
    c.answered(query('b.office.lan', 1), answer(3), 0.0002);
    c.answered(query('b.office.lan', 1), answer(0x80 | 3), 0.003); // RA flag set: the low 4 bits are the rcode
    c.answered(query('c.office.lan', 99), answer(5), 0.5);
    c.answered(Uint8Array.from([1]), answer(1), 0.1);
    expect(c.answers.A.slice(0, 4)).toEqual([1, 0, 0, 2]);
    expect(c.answers.other[5]).toBe(1);
    expect(c.answers.other[1]).toBe(1);
    expect(c.latency.snapshot().counts.reduce((a, b) => a + b, 0)).toBe(5);
  });
});
