import type { ControlSection } from '../../appliance/control/control-section.ts';
import type { OperatingState, WorkerReport } from '../../appliance/control/operating-state.ts';

/**
 * A sample of the operating state taken once a burst is over, for the per-worker totals a
 * test judges: every worker answered it itself and the totals that `counters` reads did not
 * move since the sample before. A worker too busy to answer within the control section's
 * report wait (400 ms) is stood in for by its last report with CPU share 1
 * (control/sampler-loop.ts `standIn`), whose totals lag the burst; a fixed sleep before one
 * sample (1.5 s here before) is outlasted by a loaded box. Waits at most `ms`, then returns
 * the last sample as it is, for the test's assertions to judge.
 */
export async function settledSample(control: ControlSection, counters: (w: WorkerReport) => readonly number[], ms = 10_000): Promise<OperatingState> {
  const end = Date.now() + ms;
  const key = (s: OperatingState) => JSON.stringify(s.workers.map((w) => [w.workerId, ...counters(w)]));
  let last = await control.sampleNow();
  while (Date.now() < end) {
    await Bun.sleep(250);
    const next = await control.sampleNow();
    // CPU share is capped at 1 in a worker's own report, so below 1 is an answer of its own.
    const answered = next.workers.length === control.pool.workers.length && next.workers.every((w) => w.cpuShare < 1);
    if (answered && key(next) === key(last)) return next;
    last = next;
  }
  return last;
}
