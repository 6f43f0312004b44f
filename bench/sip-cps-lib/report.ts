/** The final tables and the ratio lines (`reg_ratio_vs_kamailio`, then `ratio_vs_kamailio` last). */
import type { Figures } from './measure.ts';

const ms = (v: number) => (Number.isFinite(v) ? String(v) : '-');

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}

const measured = (r: Figures | string | undefined): r is Figures => r !== undefined && typeof r !== 'string';

/** Ours over Kamailio's figure, or undefined when Kamailio has none. */
function ratio(results: Map<string, Figures | string>, pick: (f: Figures) => number): string | undefined {
  const k = results.get('kamailio');
  if (!measured(k) || pick(k) <= 0) return undefined;
  const ours = results.get('appliance');
  return (measured(ours) ? pick(ours) / pick(k) : 0).toFixed(2);
}

/**
 * One row per SUT (latency-bounded calls/s and REGISTER/s, control section children seen), the latency curve
 * (one row per rate and SUT), then the ratio lines; `ratio_vs_kamailio=<x>` stays last.
 */
export function formatReport(results: Map<string, Figures | string>, order: string[]): string {
  const rows: string[][] = [['SUT', 'calls/s (p99<=50ms)', 'digest REGISTER/s (p99<=50ms)', 'control section children seen']];
  const curve: string[][] = [['calls/s', 'SUT', 'ok', 'failed', 'retrans', 'p50 ms', 'p99 ms', 'p99.9 ms', 'sustained']];
  const notes: string[] = [];
  for (const name of order) {
    const r = results.get(name);
    if (r === undefined) continue;
    if (typeof r === 'string') {
      rows.push([name, 'skipped', '-', '-']);
      notes.push(`${name}: ${r}`);
      continue;
    }
    rows.push([name, String(r.maxCps), String(r.maxRps), r.workersSeen.length ? r.workersSeen.join(',') : '-']);
    for (const n of r.notes) notes.push(`${name}: ${n}`);
  }
  const rates = [...new Set(order.flatMap((n) => { const r = results.get(n); return measured(r) ? r.curve.map((p) => p.rate) : []; }))].sort((a, b) => a - b);
  for (const rate of rates) {
    for (const name of order) {
      const r = results.get(name);
      const p = measured(r) ? r.curve.find((c) => c.rate === rate) : undefined;
      if (p) curve.push([String(rate), name, String(p.ok), String(p.failed), String(p.retransmissions), ms(p.p50), ms(p.p99), ms(p.p999), p.pass ? 'yes' : 'no']);
    }
  }
  const lines = table(rows);
  if (curve.length > 1) lines.push('', 'latency curve (INVITE->200; sipp ticks are whole ms):', ...table(curve));
  for (const n of notes) lines.push(`note: ${n}`);
  if (!measured(results.get('appliance')) && results.has('kamailio')) lines.push('note: appliance not measured: ratios count it as 0');
  // Scale-out: the pinned runs against the one-worker run (issue 16: >= 1.6 x is the goal on 2 free cores).
  const one = results.get('appliance-1w');
  for (const name of order) {
    const m = /^appliance-(\d+)w$/.exec(name);
    const r = results.get(name);
    if (!m || m[1] === '1' || !measured(one) || !measured(r) || one.maxCps <= 0) continue;
    lines.push(`workers_speedup_${m[1]}w_vs_1w=${(r.maxCps / one.maxCps).toFixed(2)} (calls/s ${r.maxCps} vs ${one.maxCps})`);
  }
  const reg = ratio(results, (f) => f.maxRps);
  if (reg !== undefined) lines.push(`reg_ratio_vs_kamailio=${reg}`);
  const calls = ratio(results, (f) => f.maxCps);
  if (calls !== undefined) lines.push(`ratio_vs_kamailio=${calls}`);
  return lines.join('\n');
}
