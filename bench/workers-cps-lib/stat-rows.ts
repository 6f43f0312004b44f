/** Per-second rows of a sipp -trace_stat file (the cumulative counters at each 1 s row). */
import { existsSync, readFileSync } from 'node:fs';

export interface StatRow {
  /** Seconds since sipp's StartTime. */
  t: number;
  created: number;
  successful: number;
  failed: number;
  retransmissions: number;
}

export function readStatRows(file: string): StatRow[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return [];
  const header = lines[0].split(';');
  const rows = lines.slice(1).map((l) => l.split(';'));
  const col = (row: string[], name: string) => Number(row[header.indexOf(name)]) || 0;
  const epoch = (row: string[], name: string) => Number((row[header.indexOf(name)] ?? '').split('\t').pop()) || 0;
  const t0 = epoch(rows[0], 'StartTime');
  return rows.map((row) => ({
    t: epoch(row, 'CurrentTime') - t0,
    created: col(row, 'TotalCallCreated'),
    successful: col(row, 'SuccessfulCall(C)'),
    failed: col(row, 'FailedCall(C)'),
    retransmissions: col(row, 'Retransmissions(C)'),
  }));
}

/** sipp's StartTime (epoch ms) from the first row; undefined without rows. */
export function statStartMs(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const header = lines[0].split(';');
  const v = Number((lines[1].split(';')[header.indexOf('StartTime')] ?? '').split('\t').pop());
  return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
}

/** The last row at or before `t` seconds (the counters as they stood then). */
export function rowAt(rows: readonly StatRow[], t: number): StatRow | undefined {
  let found: StatRow | undefined;
  for (const r of rows) {
    if (r.t <= t + 0.05) found = r;
    else break;
  }
  return found;
}
