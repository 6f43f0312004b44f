/**
 * bench/sip-cps's honest pass rule: table tests of the pure rule and percentiles, and the whole
 * judgement (sipp's -trace_stat and -trace_rtt files parsed, then judged) on real sipp output.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { judgeRun } from '../../../bench/sip-cps-lib/measure.ts';
import { readCounters, readRtts } from '../../../bench/sip-cps-lib/sipp.ts';
import { judgeStep, percentiles, type StepFacts } from '../../../bench/sip-cps-lib/step-rule.ts';

const FIXTURES = join(import.meta.dir, '../../fixtures/sipp-output');

describe('percentiles (nearest rank)', () => {
  test.each<[string, number[], number[], number[]]>([
    ['none', [], [50, 99], [NaN, NaN]],
    ['one', [7], [50, 99, 99.9], [7, 7, 7]],
    ['five unsorted', [5, 1, 4, 2, 3], [50, 99, 100], [3, 5, 5]],
    ['1000..1', Array.from({ length: 1000 }, (_, i) => 1000 - i), [50, 99, 99.9], [500, 990, 999]],
    ['990 x 0 then 10 x 400', [...Array(990).fill(0), ...Array(10).fill(400)], [50, 99, 99.9], [0, 0, 400]],
  ])('%s', (_name, values, ps, want) => {
    expect(percentiles(values, ps)).toEqual(want);
  });
});

describe('judgeStep', () => {
  const ok: StepFacts = { asked: 1000, rate: 500, successful: 1000, failed: 0, retransmissions: 0, requestsSent: 3000, offered: 499, rtts: Array(1000).fill(1) };
  test.each<[string, Partial<StepFacts>, boolean, string | undefined]>([
    ['all good', {}, true, undefined],
    ['1 of 1000 failed (0.1 % is not < 0.1 %)', { successful: 999, failed: 1 }, false, '0.10 % failed'],
    ['never-finished calls count as failed', { successful: 998 }, false, '0.20 % failed'],
    ['29 retransmissions of 3000 requests pass', { retransmissions: 29 }, true, undefined],
    ['30 retransmissions of 3000 requests (1 %) fail', { retransmissions: 30 }, false, 'retransmissions 1.0 % of requests'],
    ['p99 exactly 50 ms passes', { rtts: [...Array(990).fill(0), ...Array(10).fill(50)] }, true, undefined],
    ['p99 51 ms fails', { rtts: [...Array(980).fill(0), ...Array(20).fill(51)] }, false, 'p99 51 ms > 50 ms'],
    ['no response times at all', { rtts: [] }, false, 'no response times'],
    ['sipp offered 80 %', { offered: 400 }, false, 'sipp offered only 400/s'],
    ['a smoke step is not judged on pace', { asked: 10, successful: 10, requestsSent: 30, offered: 2, rtts: [0] }, true, undefined],
  ])('%s', (_name, over, pass, reason) => {
    const v = judgeStep({ ...ok, ...over });
    expect(v.pass).toBe(pass);
    if (reason) expect(v.reasons).toContain(reason);
    else expect(v.reasons).toEqual([]);
  });
});

describe('real sipp output', () => {
  const run = (name: string) => {
    const dir = join(FIXTURES, name);
    return { code: 0, timedOut: false, wallMs: 3000, dir, counters: readCounters(join(dir, 'stat.csv')) };
  };

  test('Kamailio at 500 calls/s: sustained, p99 8 ms', () => {
    const r = run('kamailio-500cps-pass');
    expect(readRtts(r.dir).length).toBe(1500);
    const j = judgeRun(r, 1500, 500, 3);
    expect(j.point).toMatchObject({ rate: 500, ok: 1500, failed: 0, retransmissions: 0, p50: 0, p99: 8, p999: 24, pass: true });
  });

  test('the appliance at 1,000 calls/s while shedding: not sustained, every broken bound named', () => {
    const r = run('appliance-1000cps-fail');
    const j = judgeRun(r, 3000, 1000, 3);
    expect(j.point).toMatchObject({ ok: 1939, failed: 1061, retransmissions: 0, p50: 44, p99: 196, p999: 332, pass: false });
    expect(j.verdict.reasons).toEqual(['35.37 % failed', 'p99 196 ms > 50 ms']);
    expect(j.line).toContain('FAIL (35.37 % failed; p99 196 ms > 50 ms)');
  });

  test('digest REGISTER: the rtd of register-auth.xml (REGISTER -> 401 -> REGISTER -> 200) is read', () => {
    const r = run('appliance-reg-smoke');
    expect(readRtts(r.dir).length).toBe(10);
    const j = judgeRun(r, 10, 10, 2);
    expect(j.point).toMatchObject({ ok: 10, failed: 0, p99: 12, pass: true });
  });
});
