/** What the fault bench reads from a finished sipp run's directory besides -trace_stat. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One response time from -trace_rtt -rtt_freq 1. */
export interface TimedRtt {
  /** ms since sipp started (sipp's own clock: add stat.csv's StartTime for epoch ms). */
  readonly atMs: number;
  readonly ms: number;
  /** The rtd name in the scenario. */
  readonly rtd: string;
}

function filesEnding(dir: string, suffix: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(suffix)).map((n) => join(dir, n)) : [];
}

/** Every response time of the run, with when it ended and which timer it was. */
export function readTimedRtts(dir: string): TimedRtt[] {
  const out: TimedRtt[] = [];
  for (const f of filesEnding(dir, '_rtt.csv')) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const [at, ms, rtd] = line.split(';');
      if (rtd === undefined) continue;
      const a = Number(at);
      const m = Number(ms);
      if (Number.isFinite(a) && Number.isFinite(m)) out.push({ atMs: a, ms: m, rtd: rtd.trim() });
    }
  }
  return out;
}

/** The lines `<log>` actions wrote (-trace_logs). */
export function readLogLines(dir: string): string[] {
  return filesEnding(dir, '_logs.log').flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== ''));
}

/** The last row of -trace_counts (per scenario element: `<index>_<message>_<Sent|Recv|Retrans|Timeout|Unexp>`). */
export function readMessageCounts(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of filesEnding(dir, '_counts.csv')) {
    const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
    if (lines.length < 2) continue;
    const header = lines[0].split(';');
    const last = lines[lines.length - 1].split(';');
    header.forEach((h, i) => {
      if (h !== '' && i >= 2) counts.set(h, (counts.get(h) ?? 0) + (Number(last[i]) || 0));
    });
  }
  return counts;
}

/** Sum of the counts whose column name matches, e.g. /^\d+_503_Recv$/. */
export function countOf(counts: Map<string, number>, column: RegExp): number {
  let n = 0;
  for (const [k, v] of counts) if (column.test(k)) n += v;
  return n;
}
