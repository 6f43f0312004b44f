import { h, s } from './dom.ts';

/** One line of a chart; null values leave a gap ("unavailable"), never a drop to 0. */
export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** CSS class giving the line its colour (see style.css .c0 ... .c7). */
  readonly colour: number;
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly times: readonly number[];
  readonly series: readonly Series[];
  /** Fixed top of the scale (e.g. 100 for percent); otherwise from the data. */
  readonly max?: number;
}

const W = 600;
const H = 180;
const PAD = { l: 40, r: 8, t: 10, b: 22 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p;
}

/**
 * A line chart drawn as SVG by hand (no chart library: a few lines over time is all the
 * dashboard needs). The figure carries a text summary for screen readers.
 */
export function lineChart(spec: ChartSpec): HTMLElement {
  const { times, series } = spec;
  const all = series.flatMap((x) => x.values.filter((v): v is number => v !== null));
  const top = spec.max ?? niceMax(Math.max(0, ...all) * 1.1);
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? 1;
  const x = (t: number) => PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - Math.min(v, top) / top) * (H - PAD.t - PAD.b);

  const grid = [0, 0.5, 1].map((f) => [
    s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(top * f), y2: y(top * f), class: 'grid' }),
    s('text', { x: PAD.l - 4, y: y(top * f) + 4, class: 'axis', 'text-anchor': 'end' }, formatValue(top * f)),
  ]);
  const lines = series.map((ser) => {
    // Split at nulls so an unavailable sensor shows as a gap.
    const segments: string[] = [];
    let cur: string[] = [];
    ser.values.forEach((v, i) => {
      if (v === null || times[i] === undefined) {
        if (cur.length) segments.push(cur.join(' ')), (cur = []);
      } else cur.push(`${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (cur.length) segments.push(cur.join(' '));
    return segments.map((pts) =>
      pts.includes(' ') ? s('polyline', { points: pts, class: `line c${ser.colour}` }) : s('circle', { cx: pts.split(',')[0], cy: pts.split(',')[1], r: 2.5, class: `dot c${ser.colour}` }),
    );
  });
  const timeLabels = times.length > 1
    ? [s('text', { x: PAD.l, y: H - 6, class: 'axis' }, new Date(t0).toLocaleTimeString()),
       s('text', { x: W - PAD.r, y: H - 6, class: 'axis', 'text-anchor': 'end' }, new Date(t1).toLocaleTimeString())]
    : [];
  const latest = series.map((ser) => {
    const v = [...ser.values].reverse().find((x) => x !== null);
    return `${ser.label}: ${v === undefined || v === null ? 'unavailable' : `${formatValue(v)} ${spec.unit}`}`;
  });
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${spec.title}, ${times.length} samples; latest ${latest.join(', ')}`, 'data-points': all.length },
    grid, lines, timeLabels,
    times.length === 0 ? s('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'waiting for samples…') : null);
  return h('figure', { class: 'chart' },
    h('figcaption', {}, spec.title, h('span', { class: 'unit' }, ` (${spec.unit})`)),
    svg,
    h('ul', { class: 'legend' }, series.map((ser, i) => h('li', {}, h('span', { class: `swatch c${ser.colour}`, 'aria-hidden': 'true' }), latest[i]))));
}

function formatValue(v: number): string {
  const text = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
