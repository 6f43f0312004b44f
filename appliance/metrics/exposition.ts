import type { HistogramSnapshot } from './histogram.ts';

/**
 * The Prometheus text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
 * `# HELP`, `# TYPE`, then one `name{label="value"} number` line per sample; a histogram as
 * cumulative `_bucket{le=...}` lines ending in `le="+Inf"`, then `_sum` and `_count`.
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels?: Labels;
  /** Upper bounds of the buckets (without +Inf). */
  readonly bounds: readonly number[];
  /** Per-bucket counts (not cumulative), the last one +Inf (metrics/histogram.ts). */
  readonly snapshot: HistogramSnapshot;
}

export type MetricFamily =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly samples: readonly Sample[] }
  | { readonly name: string; readonly help: string; readonly type: 'histogram'; readonly histograms: readonly HistogramSample[] };

/** The families as one exposition document. */
export function exposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === 'histogram') {
      for (const h of f.histograms) histogramLines(out, f.name, h);
    } else {
      for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${number(s.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function histogramLines(out: string[], name: string, h: HistogramSample): void {
  let cumulative = 0;
  const counts = h.snapshot.counts;
  for (let i = 0; i < h.bounds.length; i++) {
    cumulative += counts[i] ?? 0;
    out.push(`${name}_bucket${labelText({ ...h.labels, le: number(h.bounds[i]) })} ${cumulative}`);
  }
  for (let i = h.bounds.length; i < counts.length; i++) cumulative += counts[i];
  out.push(`${name}_bucket${labelText({ ...h.labels, le: '+Inf' })} ${cumulative}`);
  out.push(`${name}_sum${labelText(h.labels)} ${number(h.snapshot.sum)}`);
  out.push(`${name}_count${labelText(h.labels)} ${cumulative}`);
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go-style float text: NaN, +Inf, -Inf, else the shortest JavaScript form. */
function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
