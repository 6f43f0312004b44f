/** RSS readings of the appliance's processes and how they are printed. */
import type { MemoryAppliance, ProcRss } from './appliance.ts';

/** One reading: per process, the median of a few samples 1 s apart. */
export interface Reading {
  readonly label: string;
  readonly procs: readonly ProcRss[];
  readonly totalBytes: number;
}

const MB = 1024 * 1024;
export const mb = (bytes: number) => (bytes / MB).toFixed(1);

/** Waits `settleSeconds`, then takes `samples` readings 1 s apart and keeps each process's median. */
export async function readRss(app: MemoryAppliance, label: string, settleSeconds: number, samples = 3): Promise<Reading> {
  await Bun.sleep(settleSeconds * 1000);
  const seen = new Map<number, { role: string; values: number[] }>();
  for (let i = 0; i < samples; i++) {
    if (i > 0) await Bun.sleep(1000);
    for (const p of app.rss()) {
      const s = seen.get(p.pid) ?? { role: p.role, values: [] };
      s.values.push(p.bytes);
      seen.set(p.pid, s);
    }
  }
  const procs = [...seen].map(([pid, s]) => {
    const v = [...s.values].sort((a, b) => a - b);
    return { role: s.role, pid, bytes: v[Math.floor(v.length / 2)]! };
  });
  return { label, procs, totalBytes: procs.reduce((n, p) => n + p.bytes, 0) };
}

/** `label: control 61.2 MB, worker1 80.3 MB, total 141.5 MB`. */
export function formatReading(r: Reading): string {
  return `${r.label}: ${r.procs.map((p) => `${p.role} ${mb(p.bytes)} MB`).join(', ')}, total ${mb(r.totalBytes)} MB`;
}

/** Growth from `base` to `r` per 10,000 bindings, per process and in total. */
export function per10k(base: Reading, r: Reading, bindings: number): string {
  const k = 10_000 / bindings;
  const parts = r.procs.map((p) => {
    const before = base.procs.find((q) => q.role === p.role)?.bytes ?? 0;
    return `${p.role} ${mb((p.bytes - before) * k)}`;
  });
  return `per 10k bindings (${base.label} -> ${r.label}): ${parts.join(', ')}, total ${mb((r.totalBytes - base.totalBytes) * k)} MB`;
}
