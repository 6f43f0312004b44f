/** The final table and the ratio line. */
import type { Figures } from './measure.ts';

const fmtMs = (v: number) => (Number.isFinite(v) ? `${v} ms` : '-');

/** One row per SUT; last line `ratio_vs_kamailio=<x>` when Kamailio has figures. */
export function formatReport(results: Map<string, Figures | string>, order: string[]): string {
  const rows: string[][] = [['SUT', 'max calls/s', 'max REGISTER/s (digest)', 'setup p50', 'setup p99', 'latency at']];
  const notes: string[] = [];
  for (const name of order) {
    const r = results.get(name);
    if (r === undefined) continue;
    if (typeof r === 'string') {
      rows.push([name, 'skipped', '-', '-', '-', '-']);
      notes.push(`${name}: ${r}`);
      continue;
    }
    const l = r.latency;
    rows.push([
      name,
      String(r.maxCps),
      String(r.maxRps),
      l ? fmtMs(l.p50) : '-',
      l ? fmtMs(l.p99) : '-',
      l ? `${l.rate} calls/s (${l.samples} calls, ${l.failed} failed)` : '-',
    ]);
    for (const n of r.notes) notes.push(`${name}: ${n}`);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const n of notes) lines.push(`note: ${n}`);
  const k = results.get('kamailio');
  if (k !== undefined && typeof k !== 'string' && k.maxCps > 0) {
    const ours = results.get('appliance');
    const oursCps = ours !== undefined && typeof ours !== 'string' ? ours.maxCps : 0;
    if (ours === undefined || typeof ours === 'string') lines.push('note: appliance not measured: ratio counts it as 0 calls/s');
    lines.push(`ratio_vs_kamailio=${(oursCps / k.maxCps).toFixed(2)}`);
  }
  return lines.join('\n');
}
