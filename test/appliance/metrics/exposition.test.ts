import { describe, expect, test } from 'bun:test';
import { escapeLabel, exposition } from '../../../appliance/metrics/exposition.ts';
import { addHistograms, emptyHistogram, Histogram } from '../../../appliance/metrics/histogram.ts';

/** The text format 0.0.4 writer and the fixed-bucket histogram. */
describe('histogram', () => {
  test.each([
    // value → bucket index for bounds [0.1, 1, 10] (≤ bound; above the last: +Inf)
    [0, 0], [0.1, 0], [0.10001, 1], [1, 1], [9.99, 2], [10, 2], [10.5, 3], [1e9, 3],
  ])('%p lands in bucket %p', (value, index) => {
    const h = new Histogram([0.1, 1, 10]);
    h.observe(value);
    const counts = [0, 0, 0, 0];
    counts[index] = 1;
    expect(h.snapshot()).toEqual({ counts, sum: value });
  });
  test('snapshots of two workers add bucket by bucket; a shorter (empty) one counts 0', () => {
    const a = new Histogram([1, 2]);
    const b = new Histogram([1, 2]);
    a.observe(0.5); a.observe(3); b.observe(1.5);
    expect(addHistograms(a.snapshot(), b.snapshot())).toEqual({ counts: [1, 1, 1], sum: 5 });
    expect(addHistograms({ counts: [], sum: 0 }, b.snapshot())).toEqual(b.snapshot());
    expect(emptyHistogram([1, 2])).toEqual({ counts: [0, 0, 0], sum: 0 });
  });
  test('a snapshot is a copy: later observations do not change it', () => {
    const h = new Histogram([1]);
    const s = h.snapshot();
    h.observe(0.5);
    expect(s.counts).toEqual([0, 0]);
  });
});

describe('exposition', () => {
  test('counters and gauges: HELP, TYPE, labels, special values', () => {
    const text = exposition([
      { name: 'x_requests_total', help: 'Requests.', type: 'counter', samples: [{ labels: { method: 'INVITE' }, value: 3 }, { labels: { method: 'BYE' }, value: 0 }] },
      { name: 'x_temp_celsius', help: 'Temp.', type: 'gauge', samples: [{ value: 41.5 }, { labels: { s: 'a' }, value: NaN }, { labels: { s: 'b' }, value: Infinity }, { labels: { s: 'c' }, value: -Infinity }] },
    ]);
    expect(text).toBe([
      '# HELP x_requests_total Requests.', '# TYPE x_requests_total counter',
      'x_requests_total{method="INVITE"} 3', 'x_requests_total{method="BYE"} 0',
      '# HELP x_temp_celsius Temp.', '# TYPE x_temp_celsius gauge',
      'x_temp_celsius 41.5', 'x_temp_celsius{s="a"} NaN', 'x_temp_celsius{s="b"} +Inf', 'x_temp_celsius{s="c"} -Inf', '',
    ].join('\n'));
  });
  test('a histogram: cumulative buckets, +Inf, _sum and _count', () => {
    const h = new Histogram([0.5, 1]);
    for (const x of [0.1, 0.2, 0.7, 5]) h.observe(x);
    const text = exposition([{ name: 'x_setup_seconds', help: 'Setup.', type: 'histogram', histograms: [{ bounds: [0.5, 1], snapshot: h.snapshot(), labels: { leg: 'a' } }] }]);
    expect(text.split('\n').slice(2, -1)).toEqual([
      'x_setup_seconds_bucket{leg="a",le="0.5"} 2', 'x_setup_seconds_bucket{leg="a",le="1"} 3', 'x_setup_seconds_bucket{leg="a",le="+Inf"} 4',
      'x_setup_seconds_sum{leg="a"} 6', 'x_setup_seconds_count{leg="a"} 4',
    ]);
  });
  test.each([
    ['plain', 'plain'], ['a"b', 'a\\"b'], ['a\\b', 'a\\\\b'], ['two\nlines', 'two\\nlines'], ['x"}\nevil_total 1', 'x\\"}\\nevil_total 1'],
  ])('label value %p is written %p (a name cannot inject a line)', (value, written) => {
    expect(escapeLabel(value)).toBe(written);
    const text = exposition([{ name: 'x_up', help: 'h\nnext', type: 'gauge', samples: [{ labels: { peer: value }, value: 1 }] }]);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toContain('# HELP x_up h\\nnext');
  });
});
