/**
 * The dashboard charts' scales, as pure functions (table-tested in test/web-ui/chart-scale.test.ts):
 * value ticks at round steps (whole numbers for counts), time ticks at round clock times, and
 * the moving mean the CPU tile shows.
 */

/** Round steps a scale may use, per power of ten. */
const STEPS = [1, 2, 2.5, 5, 10];

/** The smallest round step so that `span` needs at most `most` steps. */
function niceStep(span: number, most: number, integer: boolean): number {
  const raw = span / Math.max(1, most);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = STEPS.map((m) => m * p).find((m) => m >= raw - 1e-12) ?? 10 * p;
  // A count has no half: steps of 2.5 or below 1 become whole numbers.
  return integer ? Math.max(1, Math.ceil(step)) : step;
}

/** The value axis: its top and its tick values from 0 up to it. */
export interface ValueScale {
  readonly top: number;
  readonly ticks: readonly number[];
}

/**
 * Ticks from 0 to a round top at or above `dataMax` (at most `most` steps); `max` fixes the top
 * (100 for percent); `integer` keeps every tick a whole number (counts: 0, 1, 2, never 0.5).
 */
export function valueScale(dataMax: number, opts: { max?: number; integer?: boolean; most?: number } = {}): ValueScale {
  const most = opts.most ?? 4;
  const integer = opts.integer ?? false;
  if (opts.max !== undefined) {
    const step = niceStep(opts.max, most, integer);
    return { top: opts.max, ticks: range(0, opts.max, step) };
  }
  const span = dataMax > 0 ? dataMax : 1;
  const step = niceStep(span, most, integer);
  const top = round(Math.ceil(span / step - 1e-9) * step);
  return { top, ticks: range(0, top, step) };
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; from + i * step <= to + step * 1e-9 && i < 50; i++) out.push(round(from + i * step));
  return out;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Round clock intervals for the time axis (ms): 5 s up to a day. */
const TIME_STEPS = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/**
 * Time ticks between `t0` and `t1` at the finest round interval that gives at most `most` of
 * them, on whole multiples of the interval in local time (10:41:30, 10:42:00, ...); `step`
 * tells the label format (seconds shown only below a minute).
 */
export function timeTicks(t0: number, t1: number, most = 5, tzOffsetMinutes = new Date(t0).getTimezoneOffset()): { step: number; ticks: number[] } {
  if (!(t1 > t0)) return { step: 0, ticks: [] };
  const shift = -tzOffsetMinutes * 60_000;
  for (const step of TIME_STEPS) {
    const first = Math.ceil((t0 + shift) / step) * step - shift;
    const count = first > t1 ? 0 : Math.floor((t1 - first) / step) + 1;
    if (count > most) continue;
    const ticks: number[] = [];
    for (let i = 0; i < count; i++) ticks.push(first + i * step);
    return { step, ticks };
  }
  return { step: 0, ticks: [] };
}

/** The label of a time tick: hours and minutes, with seconds when the ticks are less than a minute apart. */
export function timeLabel(t: number, step: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return step < 60_000 ? `${hm}:${two(d.getSeconds())}` : hm;
}

/** A value as the axis and the legend show it: at most 3 significant digits, no trailing zeros. */
export function formatValue(v: number): string {
  const text = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * The mean of the last `n` values (nulls, an unavailable sensor, skipped), and how many
 * it took; null when none is known. The CPU tile shows this rather than one 2-second sample,
 * which jumps with every short burst.
 */
export function recentMean(values: readonly (number | null)[], n: number): { mean: number; count: number } | null {
  const known = values.slice(-n).filter((v): v is number => v !== null);
  if (known.length === 0) return null;
  return { mean: known.reduce((a, b) => a + b, 0) / known.length, count: known.length };
}
