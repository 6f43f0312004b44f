/**
 * Thin wrapper over `node-cron` 4 (the design's scheduler) for the sampler and maintenance jobs.
 *
 * - Validates the expression up front (5 fields, or 6 with seconds first; node-cron nicknames such
 *   as `@hourly` too) and throws `InvalidScheduleError` naming the bad field.
 * - Never overlaps runs: a tick that comes while the previous run is still going is skipped and
 *   counted (`stats().skipped`). The overlap guard is ours, not node-cron's `noOverlap`: node-cron
 *   sees a callback that returns at once, so it never logs "task still running" warnings.
 * - Catches task errors, synchronous or rejected, and hands them to `onError` (default: one
 *   `console.error` line); a throwing `onError` is swallowed too. Nothing escapes into node-cron.
 * - Ticks node-cron reports as missed (event loop blocked past its 1 s tolerance) are counted
 *   (`stats().missed`) instead of logged.
 *
 * Cost of node-cron itself (2-core EPYC VM, Bun 1.4.5, node-cron 4.6.0; re-measure with
 * `bun test/system/schedule/node-cron-cost.ts`): each tick computes the next match by walking the
 * current hour's minute × second grid and formatting dates through `Intl.DateTimeFormat`
 * (`getNextMatch` / `LocalizedTime`, plus three `createContext` per run). Hot, that is ~0.05-0.2 ms;
 * in an otherwise idle process, where the code stays cold, whole-process CPU is ~2.3-3.8 ms per
 * tick over a `setInterval` baseline (1 s schedule, 30-60 ticks). On a 2 s schedule that is
 * ~0.1-0.2 % of one core, about a third of what one host sample costs: not worth leaving the
 * design's scheduler for. `timezone: 'UTC'` is no cheaper (measured), so the process's zone is
 * the default.
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

export class InvalidScheduleError extends Error {
  override readonly name = 'InvalidScheduleError';
  constructor(
    readonly expression: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid schedule expression ${JSON.stringify(expression)}: ${problems.join('; ')} (expected 5 cron fields, or 6 with seconds first, e.g. "*/2 * * * * *")`);
  }
}

export interface ScheduleOptions {
  /** Receives every error a run throws or rejects with. Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
  /** IANA zone the expression is read in (default: the process's zone). */
  readonly timezone?: string;
  /** Label for default error output and node-cron's task name. */
  readonly name?: string;
}

export interface ScheduleStats {
  /** Runs started. */
  readonly runs: number;
  /** Ticks skipped because the previous run was still going. */
  readonly skipped: number;
  /** Runs that threw or rejected. */
  readonly errors: number;
  /** Ticks node-cron could not fire on time (event loop blocked). */
  readonly missed: number;
}

export interface ScheduledJob {
  /** Stops further ticks (idempotent). A run already going is allowed to finish. */
  stop(): void;
  /** True while a run is going. */
  readonly running: boolean;
  stats(): ScheduleStats;
}

/** Throws `InvalidScheduleError` unless node-cron accepts `expression`. */
export function validateSchedule(expression: string): void {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new InvalidScheduleError(String(expression), ['empty expression']);
  }
  const result = cron.validateDetailed(expression);
  if (!result.valid) {
    throw new InvalidScheduleError(
      expression,
      result.errors.map((e) => (e.field === 'expression' ? e.message : `${e.field}: ${e.message}`)),
    );
  }
}

const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Runs `task` on the cron `expression` until `stop()`; see the module comment for the guarantees. */
export function every(expression: string, task: () => void | Promise<void>, options: ScheduleOptions = {}): ScheduledJob {
  validateSchedule(expression);
  const label = options.name ?? expression;
  const onError =
    options.onError ??
    ((error: unknown) => {
      console.error(`scheduled job ${label} failed:`, error);
    });

  let running = false;
  let stopped = false;
  let runs = 0;
  let skipped = 0;
  let errors = 0;
  let missed = 0;

  const report = (error: unknown) => {
    errors++;
    try {
      onError(error);
    } catch {
      // an error reporter that throws must not take the schedule down
    }
  };

  const tick = () => {
    if (stopped) return;
    if (running) {
      skipped++;
      return;
    }
    running = true;
    runs++;
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (error) {
      running = false;
      report(error);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => {
          running = false;
        },
        (error: unknown) => {
          running = false;
          report(error);
        },
      );
    } else {
      running = false;
    }
  };

  let cronTask: ScheduledTask;
  try {
    cronTask = cron.schedule(expression, tick, {
      timezone: options.timezone,
      name: options.name,
      logger: quietLogger,
      suppressMissedWarning: true,
    });
  } catch (error) {
    // e.g. an unknown time zone
    throw new InvalidScheduleError(expression, [error instanceof Error ? error.message : String(error)]);
  }
  cronTask.on('execution:missed', () => {
    missed++;
  });

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        void cronTask.destroy();
      } catch {
        // already destroyed
      }
    },
    get running() {
      return running;
    },
    stats() {
      return { runs, skipped, errors, missed };
    },
  };
}

/**
 * The latest time at or before `at` (to the second) that `expression` matches, looking back at
 * most `withinMs`; null if none. For a window that began before a restart: was a start within
 * the last `duration`? node-cron decides each candidate (`match`); the candidates are the
 * seconds node-cron parsed for the seconds field in each minute looked at, so a day back costs
 * 1440 × (seconds listed) matches (~7 µs each, measured on the 2-core VM): ~10 ms for "0 2 * * *".
 */
export function lastMatch(expression: string, at: Date, withinMs: number, timezone?: string): Date | null {
  validateSchedule(expression);
  const seconds = [...cron.parse(expression).second].sort((a, b) => b - a);
  const task = cron.createTask(expression, () => {}, { timezone, logger: quietLogger });
  try {
    const earliest = at.getTime() - withinMs;
    const minute = Math.floor(at.getTime() / 60_000) * 60_000;
    for (let m = minute; m + 59_000 >= earliest; m -= 60_000) {
      for (const s of seconds) {
        const t = m + s * 1000;
        if (t > at.getTime() || t < earliest) continue;
        if (task.match(new Date(t))) return new Date(t);
      }
    }
    return null;
  } finally {
    void task.destroy();
  }
}
