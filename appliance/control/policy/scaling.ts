import type { OperatingState, WorkerReport } from '../operating-state.ts';
import type { PolicySettings } from './settings.ts';
import { evidence, fmt, type ScaleIn, type ScaleOut } from './actions.ts';
import { recent, type Assessment, type WindowMatch } from './assess.ts';
import type { PolicyMemory } from './memory.ts';

/** Overloaded samples of the scale-out window, counting only those after the last scaling. */
export function hotWindow(samples: readonly Assessment[], s: PolicySettings, memory: PolicyMemory): WindowMatch {
  return recent(samples, s.scaleOutWindow, memory.lastScaleAt, (a) => a.overload !== null);
}

/**
 * Whether another worker would help: a slot is free (starting workers hold theirs) and every
 * overloaded sample was plain CPU share. Host CPU or temperature overload is not cured by more workers.
 */
export function roomToScaleOut(window: readonly Assessment[], latest: Assessment, s: PolicySettings): boolean {
  return latest.running + latest.starting < s.maxWorkers
    && latest.overload !== 'temperature' && latest.overload !== 'host-cpu'
    && window.every((a) => a.overload === null || a.overload === 'cpu-share');
}

/**
 * Whether the last scaling action has settled: no worker still starting (its capacity is not
 * in the figures yet) and the cool-down since the last scaling action is over.
 */
export function settled(latest: Assessment, memory: PolicyMemory, cooldownSeconds: number, now: number): boolean {
  return latest.starting === 0 && (memory.lastScaleAt === null || now - memory.lastScaleAt >= cooldownSeconds * 1000);
}

/** The scale-out action for a fired window. */
export function scaleOut(latest: Assessment, matched: number, window: number, s: PolicySettings, why: string): ScaleOut {
  const workers = latest.running + latest.starting + 1;
  return {
    kind: 'scale-out', workers,
    reason: `${why} in ${matched} of the last ${window} samples (CPU share ${fmt(latest.cpuShare)}); ${workers - 1} → ${workers} workers, max ${s.maxWorkers}`,
    evidence: evidence(latest, matched, window),
  };
}

/**
 * Scale in after sustained low load: `scaleInSamples` of the last `scaleInWindow` samples low,
 * more running workers than `minWorkers`, none starting or draining (one change at a time), and
 * the scale-in cool-down over.
 */
export function decideScaleIn(
  samples: readonly Assessment[], state: OperatingState, s: PolicySettings, memory: PolicyMemory, now: number,
): ScaleIn | null {
  const latest = samples[samples.length - 1];
  const low = recent(samples, s.scaleInWindow, memory.lastScaleAt, (a) => a.low);
  if (low.matching.length < s.scaleInSamples) return null;
  if (latest.running <= Math.max(1, s.minWorkers) || latest.draining > 0) return null;
  if (!settled(latest, memory, s.scaleInCooldownSeconds, now)) return null;
  const worker = workerToDrain(state.workers);
  if (!worker) return null;
  return {
    kind: 'scale-in', workerId: worker.workerId,
    reason: `CPU share ≤ ${s.scaleInCpuShare} in ${low.matching.length} of the last ${low.window} samples (CPU share ${fmt(latest.cpuShare)}); `
      + `draining worker ${worker.workerId} (${worker.openTransactions} open transactions), ${latest.running} → ${latest.running - 1}, min ${s.minWorkers}`,
    evidence: evidence(latest, low.matching.length, low.window),
  };
}

/**
 * The running worker cheapest to retire: fewest open transactions (it drains soonest), then
 * lowest CPU share, then the newest (highest id: ids are handed out in increasing order), so the
 * long-lived workers keep their warm caches.
 */
export function workerToDrain(workers: readonly WorkerReport[]): WorkerReport | undefined {
  return workers
    // The trunks' registrar stays: draining it would leave the trunks unregistered (docs/TRUNKS.md).
    .filter((w) => w.state === 'running' && !w.registersTrunks)
    .sort((a, b) => a.openTransactions - b.openTransactions || a.cpuShare - b.cpuShare || b.workerId - a.workerId)[0];
}
