/** Running sipp and reading what it writes: the -trace_stat CSV and the -trace_rtt CSV. */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, start, type Proc } from './processes.ts';

export const SIPP = process.env.SIPP ?? '/usr/bin/sipp';

/**
 * sipp (caller and callee) and the SUT share 2 cores. As root, sipp runs at nice -10 so that
 * CPU contention lands on the SUT, which is what we measure, not on the load generator.
 */
const boost: string[] = process.getuid?.() === 0 && Bun.which('nice') ? ['nice', '-n', '-10'] : [];
const [sippCmd, ...sippPre] = boost.length ? [...boost, SIPP] : [SIPP];

/** Final counters of one sipp run (from the last -trace_stat row). */
export interface SippCounters {
  created: number;
  successful: number;
  failed: number;
  retransmissions: number;
  maxUdpRetrans: number;
  unexpected: number;
  /** Seconds sipp took (or, extrapolated from its pace, would take) to create all its calls. */
  createSeconds: number;
  /** [seconds since start, calls ended (successful + failed)] per 1 s stat row. */
  ended: Array<[number, number]>;
}

export interface SippRun {
  code: number;
  timedOut: boolean;
  wallMs: number;
  dir: string;
  /** undefined when sipp wrote no statistics (bind error, bad scenario...). */
  counters?: SippCounters;
}

/**
 * sipp's watchdog ends a run after 120 event-loop stalls > 500 ms (10 > 3 s): on 2 shared
 * cores an overload step trips it, and a long-lived callee would then die mid-bench.
 */
const noWatchdog = ['-watchdog_minor_maxtriggers', '100000000', '-watchdog_major_maxtriggers', '100000000'];
const common = ['-nostdin', '-buff_size', '4194304', ...noWatchdog, '-trace_err', '-trace_stat', '-stf', 'stat.csv', '-fd', '1'];

let seq = 0;

/** Runs one bounded sipp client in its own directory under `tmp`; never throws on sipp failure. */
export async function runSipp(
  tmp: string,
  label: string,
  args: string[],
  timeoutMs: number,
): Promise<SippRun> {
  const dir = join(tmp, `${String(++seq).padStart(3, '0')}-${label}`);
  mkdirSync(dir, { recursive: true });
  const r = await run(`sipp ${label}`, sippCmd, [...sippPre, ...common, ...args], {
    cwd: dir,
    logFile: join(dir, 'sipp.out'),
    timeoutMs,
  });
  return { ...r, dir, counters: readCounters(join(dir, 'stat.csv')) };
}

/** Starts a long-running sipp (the callee UAS) in its own directory. */
export function startSipp(tmp: string, label: string, args: string[]): Proc {
  const dir = join(tmp, `${String(++seq).padStart(3, '0')}-${label}`);
  mkdirSync(dir, { recursive: true });
  return start(`sipp ${label}`, sippCmd, [...sippPre, '-nostdin', '-buff_size', '4194304', ...noWatchdog, '-trace_err', ...args], {
    cwd: dir,
    logFile: join(dir, 'sipp.out'),
  });
}

/** Parses the last row of a sipp -trace_stat file (';'-separated, header first). */
export function readCounters(file: string): SippCounters | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const header = lines[0].split(';');
  const rows = lines.slice(1).map((l) => l.split(';'));
  const last = rows[rows.length - 1];
  const idx = (name: string) => header.indexOf(name);
  const col = (name: string, row = last): number => {
    const i = idx(name);
    return i < 0 ? 0 : Number(row[i]) || 0;
  };
  // times are "date<TAB>time<TAB>epoch"
  const epoch = (name: string, row: string[]) => Number((row[idx(name)] ?? '').split('\t').pop()) || 0;
  // Offered rate: calls created by the last 1 s row before creation finished, over its time
  // (sipp paces to the asked rate, so this is its real pace); a step shorter than one row
  // falls back to the first row that has every call.
  const t0 = epoch('StartTime', rows[0]);
  const total = col('TotalCallCreated');
  let createSeconds = 0;
  for (const row of rows) {
    const t = epoch('CurrentTime', row) - t0;
    const c = col('TotalCallCreated', row);
    if (c >= total) {
      if (createSeconds === 0) createSeconds = t;
      break;
    }
    if (t >= 0.5 && c > 0) createSeconds = (t * total) / c;
  }
  const ended = rows.map((row): [number, number] => [
    epoch('CurrentTime', row) - t0,
    col('SuccessfulCall(C)', row) + col('FailedCall(C)', row),
  ]);
  return {
    createSeconds,
    ended,
    created: col('TotalCallCreated'),
    successful: col('SuccessfulCall(C)'),
    failed: col('FailedCall(C)'),
    retransmissions: col('Retransmissions(C)'),
    maxUdpRetrans: col('FailedMaxUDPRetrans(C)'),
    unexpected: col('FailedUnexpectedMessage(C)'),
  };
}

/** Reads every response time (ms) from the *_rtt.csv files sipp wrote in `dir`. */
export function readRtts(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    for (const line of lines.slice(1)) {
      const v = line.split(';')[1];
      if (v !== undefined && v.trim() !== '') out.push(Number(v));
    }
  }
  return out.filter((v) => Number.isFinite(v));
}

/** First lines of sipp's error log in `dir`, for a failure message. */
export function errorExcerpt(dir: string, maxLines = 6): string {
  const f = readdirSync(dir).find((n) => n.endsWith('_errors.log'));
  const out = existsSync(join(dir, 'sipp.out')) ? readFileSync(join(dir, 'sipp.out'), 'utf8') : '';
  const errs = f ? readFileSync(join(dir, f), 'utf8') : '';
  return (errs || out).split('\n').filter((l) => l.trim() !== '').slice(0, maxLines).join('\n');
}
