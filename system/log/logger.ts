import type { EventKind } from './event-kinds.ts';
import { areaOf, jsonLine, LEVEL_RANK, textLine, type Level, type LogRecord } from './log-record.ts';

/** What the logger is told by `[log]` (system/config/log-config.ts). */
export interface LogSettings {
  readonly format: 'text' | 'json';
  /** Threshold of every area not named in `areas`. */
  readonly level: Level;
  /** Thresholds by area (`sip`, `dns`, `control`, ...). */
  readonly areas: Readonly<Record<string, Level>>;
}

export const DEFAULT_LOG_SETTINGS: LogSettings = { format: 'text', level: 'info', areas: {} };

/**
 * The one writer of the appliance's log lines: one structured line per event to its sink
 * (stdout in production, which journald collects), filtered by a level per area, in text or
 * JSON. The event log (system/store/events-store.ts) flows through it: every event stored is
 * also written here, once (the store's `onAppend`), so nothing logs an event twice.
 */
export class Logger {
  private settings: LogSettings;
  private readonly sink: (line: string) => void;

  /**
   * @param sink receives each formatted line (without newline)
   * @param worker the connection control section this process is (absent: the control section)
   */
  constructor(settings: LogSettings, sink: (line: string) => void, private readonly worker?: number, private readonly clock: () => number = Date.now) {
    this.settings = settings;
    this.sink = sink;
  }

  /** New settings (a reloaded config). */
  configure(settings: LogSettings): void {
    this.settings = settings;
  }

  /** Whether a line of `level` in `area` would be written (check before building a debug line). */
  enabled(level: Level, area: string): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.settings.areas[area] ?? this.settings.level];
  }

  /** A line of an event kind at `level` (an event of the event log: `event`). */
  log(level: Level, kind: EventKind, message: string, details?: Readonly<Record<string, unknown>>, ts = this.clock()): void {
    this.write(level, kind, message, details, ts);
  }

  /** An event of the event log, at the level its kind implies (levelOfKind). */
  event(kind: EventKind, message: string, details?: Readonly<Record<string, unknown>>, ts?: number): void {
    this.log(levelOfKind(kind), kind, message, details, ts);
  }

  /**
   * A plain status line of the `area: text` shape the appliance prints (`web: admin UI on ...`):
   * its prefix (an area, not an event kind) becomes the kind, so it is filtered and formatted like any event.
   */
  line(text: string, level: Level = 'info'): void {
    const m = /^([a-z][a-z0-9._-]*): ([^]*)$/.exec(text);
    this.write(level, m ? m[1] : 'appliance', m ? m[2] : text);
  }

  private write(level: Level, kind: string, message: string, details?: Readonly<Record<string, unknown>>, ts = this.clock()): void {
    if (!this.enabled(level, areaOf(kind))) return;
    const r: LogRecord = { ts, level, kind, message, ...(this.worker !== undefined ? { worker: this.worker } : {}), ...(details ? { details } : {}) };
    this.sink(this.settings.format === 'json' ? jsonLine(r) : textLine(r));
  }
}

/** Errors and failures stand out: `*.error` → error; crashes, failures, refusals, a clock off, input dropped at a bound → warn; the rest info. */
export function levelOfKind(kind: string): Level {
  if (/\.error$/.test(kind)) return 'error';
  if (/\.(crash|failed|unreachable|refused|rejected|ban|suppressed|skewed|capped)(\.|$)/.test(kind)) return 'warn';
  return 'info';
}
