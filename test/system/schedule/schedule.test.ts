import { describe, expect, test } from 'bun:test';
import { every, InvalidScheduleError, validateSchedule } from '../../../system/schedule/schedule.ts';

function invalid(expr: string): InvalidScheduleError {
  try {
    validateSchedule(expr);
  } catch (err) {
    if (err instanceof InvalidScheduleError) return err;
    throw err;
  }
  throw new Error(`${expr} validated`);
}

describe('validateSchedule', () => {
  test('five and six fields accepted', () => {
    for (const e of ['*/2 * * * * *', '* * * * *', '0 3 * * *', '@hourly']) expect(() => validateSchedule(e)).not.toThrow();
  });
  test('clear errors naming the problem', () => {
    expect(invalid('').message).toContain('empty expression');
    expect(invalid('* * *').message).toContain('expected 5 or 6 fields but got 3');
    expect(invalid('* * * * * * *').message).toContain('got 7');
    expect(invalid('61 * * * * *').message).toContain('second: 61 is a invalid expression for second');
    expect(invalid('* 25 * * *').message).toContain('hour');
    expect(invalid('every 2 seconds').expression).toBe('every 2 seconds');
    expect(() => every('nope', () => {})).toThrow(InvalidScheduleError);
  });
  test('unknown time zone is an InvalidScheduleError too', () => {
    expect(() => every('* * * * * *', () => {}, { timezone: 'Mars/Olympus' })).toThrow(InvalidScheduleError);
  });
});

// The timed tests run concurrently: each needs ~2.5-3.5 s of wall time but almost no CPU.
describe('every', () => {
  test.concurrent('runs every second, stop() stops, errors reach onError and do not stop the schedule', async () => {
    let n = 0;
    const errors: unknown[] = [];
    const job = every(
      '*/1 * * * * *',
      () => {
        n++;
        if (n === 1) throw new Error('sync boom');
        if (n === 2) return Promise.reject(new Error('async boom'));
      },
      { onError: (e) => errors.push(e) },
    );
    await Bun.sleep(2600);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync boom', 'async boom']);
    expect(job.stats()).toMatchObject({ runs: n, skipped: 0, errors: 2 });
    job.stop();
    job.stop(); // idempotent
    const atStop = n;
    await Bun.sleep(1300);
    expect(n).toBe(atStop);
  });

  test.concurrent('a slow run is never overlapped; the skipped ticks are counted', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const job = every('*/1 * * * * *', async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await Bun.sleep(2300);
      active--;
    });
    await Bun.sleep(3500);
    job.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(job.stats().skipped).toBeGreaterThanOrEqual(1);
  });

  test.concurrent('a throwing onError is contained', async () => {
    let n = 0;
    const job = every(
      '*/1 * * * * *',
      () => {
        n++;
        throw new Error('x');
      },
      {
        onError: () => {
          throw new Error('reporter broke');
        },
      },
    );
    await Bun.sleep(2300);
    job.stop();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(job.stats().errors).toBe(n);
  });
});
