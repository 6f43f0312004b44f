import { formatValue, timeLabel, timeTicks, valueScale } from './chart-scale.ts';
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
  /** Counts: whole-number ticks only (0, 1, 2, never 0.5). */
  readonly integer?: boolean;
  /** The drawing's width in CSS pixels (the figure's own width), so its text is drawn at its real size. */
  readonly width?: number;
}

const H = 190;
const PAD = { l: 44, r: 12, t: 10, b: 24 };

/**
 * A line chart drawn as SVG by hand (no chart library: a few lines over time is all the
 * dashboard needs). The viewBox is the figure's width in pixels, so axis labels are 12 px on
 * any screen rather than shrinking with the drawing; the value axis has round ticks (whole
 * numbers for counts) and the time axis a label at every round interval. The figure carries a
 * text summary for screen readers.
 */
export function lineChart(spec: ChartSpec): HTMLElement {
  const { times, series } = spec;
  const W = Math.max(240, Math.round(spec.width ?? 600));
  const all = series.flatMap((x) => x.values.filter((v): v is number => v !== null));
  const scale = valueScale(Math.max(0, ...all) * (spec.integer ? 1 : 1.1), { max: spec.max, integer: spec.integer });
  const top = scale.top;
  const t0 = times[0] ?? 0;
  const t1 = times[times.length - 1] ?? 1;
  const x = (t: number) => PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - Math.min(v, top) / top) * (H - PAD.t - PAD.b);

  const grid = scale.ticks.map((v) => [
    s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }),
    s('text', { x: PAD.l - 5, y: y(v) + 4, class: 'axis value-tick', 'text-anchor': 'end' }, formatValue(v)),
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
  // At least four labels, one per ~70 px on a wider drawing, at round clock times; the first and last stay inside it.
  const tt = timeTicks(t0, t1, Math.max(4, Math.floor((W - PAD.l - PAD.r) / 70)));
  const timeLabels = tt.ticks.map((t) => {
    const at = x(t);
    const anchor = at < PAD.l + 20 ? 'start' : at > W - PAD.r - 20 ? 'end' : 'middle';
    return [s('line', { x1: at, x2: at, y1: H - PAD.b, y2: H - PAD.b + 4, class: 'tick' }),
      s('text', { x: at, y: H - 6, class: 'axis time-tick', 'text-anchor': anchor }, timeLabel(t, tt.step))];
  });
  const latest = series.map((ser) => {
    const v = [...ser.values].reverse().find((x) => x !== null);
    // A count needs no unit after it ("registrations: 3").
    return `${ser.label}: ${v === undefined || v === null ? 'unavailable' : spec.integer ? formatValue(v) : `${formatValue(v)} ${spec.unit}`}`;
  });
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${spec.title}, ${times.length} samples; latest ${latest.join(', ')}`, 'data-points': all.length },
    grid, s('line', { x1: PAD.l, x2: W - PAD.r, y1: H - PAD.b, y2: H - PAD.b, class: 'baseline' }), lines, timeLabels,
    times.length === 0 ? s('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'waiting for samples…') : null);
  return h('figure', { class: 'chart' },
    h('figcaption', {}, spec.title, h('span', { class: 'unit' }, ` (${spec.unit})`)),
    svg,
    h('ul', { class: 'legend' }, series.map((ser, i) => h('li', {}, h('span', { class: `swatch c${ser.colour}`, 'aria-hidden': 'true' }), latest[i]))));
}
