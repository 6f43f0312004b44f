import type { PolicySettings } from './settings.ts';
import { evidence, fmt, type Shed, type StopShedding } from './actions.ts';
import { meanOf, recent, type Assessment, type WindowMatch } from './assess.ts';
import type { PolicyMemory, SheddingMemory } from './memory.ts';

/**
 * The shedding controller (overload ladder step "shed"), AIMD like TCP's congestion control:
 * on entry it measures the per-worker throughput of the overloaded samples and admits the share
 * that would bring the mean CPU share to `shedTargetCpuShare` (CPU share grows about linearly with the rate, so
 * rate × target / CPU share is the throughput at the target); while still overloaded it cuts again by
 * the same rule; when calm it adds `shedRelaxStep` of the entry throughput per step; it stops
 * once calm samples show nothing shed (the demand fits). Between `shedRelaxCpuShare` and
 * `scaleOutCpuShare` it holds: that band is the hysteresis.
 */

/** Share to keep of what was admitted, given the mean CPU share seen: at least `shedMinCut` goes. */
function keepShare(cpuShare: number | null, s: PolicySettings): number {
  const most = 1 - s.shedMinCut;
  // Temperature or host CPU overload can come with a low CPU share: then only the minimum cut helps.
  return cpuShare === null || cpuShare <= 0 ? most : Math.min(s.shedTargetCpuShare / cpuShare, most);
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function shedAction(latest: Assessment, m: SheddingMemory, s: PolicySettings, matched: number, window: number, why: string): Shed {
  const admitCallsPerSecond = Math.max(s.shedMinCallsPerSecond, round2(m.baseCallsPerSecond * m.level));
  const admitRegistersPerSecond = Math.max(s.shedMinRegistersPerSecond, round2(m.baseRegistersPerSecond * m.level));
  // A deeper cut means a longer wait before the refused traffic is likely to be admitted.
  const retryAfterSeconds = Math.min(s.shedMaxRetryAfterSeconds, Math.max(s.shedRetryAfterSeconds, Math.round(s.shedRetryAfterSeconds / m.level)));
  return {
    kind: 'shed', rates: { callsPerSecond: admitCallsPerSecond, registersPerSecond: admitRegistersPerSecond, retryAfterSeconds }, admitFraction: round2(m.level),
    reason: `${why}; admitting ${fmt(m.level * 100)} % of ${fmt(m.baseCallsPerSecond)} calls/s and `
      + `${fmt(m.baseRegistersPerSecond)} registrations/s per worker, Retry-After ${retryAfterSeconds} s`,
    evidence: evidence(latest, matched, window),
  };
}

/** Starts shedding when every worker is saturated (`hot` fired and no worker can be added). */
export function startShedding(hot: WindowMatch, latest: Assessment, s: PolicySettings, now: number): { action: Shed; shedding: SheddingMemory } {
  const cpuShare = meanOf(hot.matching, (a) => a.cpuShare);
  const shedding: SheddingMemory = {
    startedAt: now, lastChangeAt: now, samples: 0,
    baseCallsPerSecond: meanOf(hot.matching, (a) => a.callsPerWorker) ?? 0,
    baseRegistersPerSecond: meanOf(hot.matching, (a) => a.registersPerWorker) ?? 0,
    level: keepShare(cpuShare, s),
  };
  const why = `saturated: overloaded (${latest.overload ?? hot.matching[hot.matching.length - 1]?.overload}) in `
    + `${hot.matching.length} of the last ${hot.window} samples with ${latest.running} of max ${s.maxWorkers} workers, mean CPU share ${fmt(cpuShare)}`;
  return { action: shedAction(latest, shedding, s, hot.matching.length, hot.window, why), shedding };
}

/**
 * One step of shedding already in force: tighten, relax, stop or hold. Only samples taken after
 * the last rate change (or scaling) count, so each step sees the effect of the one before.
 */
export function stepShedding(
  samples: readonly Assessment[], s: PolicySettings, memory: PolicyMemory & { shedding: SheddingMemory }, now: number,
): { action: Shed | StopShedding | null; shedding: SheddingMemory | null } {
  const m = memory.shedding;
  const latest = samples[samples.length - 1];
  const after = Math.max(m.lastChangeAt, memory.lastScaleAt ?? -Infinity);

  const hot = recent(samples, s.scaleOutWindow, after, (a) => a.overload !== null);
  if (hot.matching.length >= s.scaleOutSamples) {
    const cpuShare = meanOf(hot.matching, (a) => a.cpuShare);
    const next = { ...m, lastChangeAt: now, level: m.level * keepShare(cpuShare, s) };
    const why = `still overloaded in ${hot.matching.length} of the last ${hot.window} samples, mean CPU share ${fmt(cpuShare)}: tightening`;
    return { action: shedAction(latest, next, s, hot.matching.length, hot.window, why), shedding: next };
  }

  const calm = recent(samples, s.shedRelaxWindow, after, (a) => a.calm);
  if (calm.matching.length < s.shedRelaxSamples) return { action: null, shedding: m };
  const fresh = recent(samples, s.shedRelaxWindow, after, () => true).matching;
  const refused = fresh.reduce((t, a) => t + a.shed, 0);
  if (refused === 0) {
    return {
      action: {
        kind: 'stop-shedding',
        reason: `CPU share < ${s.shedRelaxCpuShare} in ${calm.matching.length} of the last ${calm.window} samples and nothing shed: demand fits; `
          + `shedding ends after ${m.samples} samples`,
        evidence: evidence(latest, calm.matching.length, calm.window),
      },
      shedding: null,
    };
  }
  const next = { ...m, lastChangeAt: now, level: m.level + s.shedRelaxStep };
  const why = `CPU share < ${s.shedRelaxCpuShare} in ${calm.matching.length} of the last ${calm.window} samples, ${refused} requests shed: relaxing`;
  return { action: shedAction(latest, next, s, calm.matching.length, calm.window, why), shedding: next };
}
