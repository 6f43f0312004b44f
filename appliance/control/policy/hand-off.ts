import type { HandOffStatus } from '../../peers/hand-off.ts';
import type { PolicySettings } from './settings.ts';
import { evidence, type HandOff, type TakeBack } from './actions.ts';
import type { Assessment } from './assess.ts';
import type { PolicyMemory } from './memory.ts';

/**
 * Overload ladder steps "hand off" and "recover", kept simple: hand new traffic to a peer once
 * shedding has lasted `handOffAfterSamples` samples (shedding alone did not cure it) and peers
 * are configured; take it back after `takeBackAfterSamples` consecutive healthy samples with
 * shedding over. Consecutive samples are the strictest K of W (K = W): taking traffic back too
 * early would bounce it straight back to the peer.
 *
 * The hand-off itself is a fact of its one owner (peers/hand-off.ts), read here as `status`:
 * while an attempt is under way nothing is decided; after an attempt no peer accepted, the next
 * waits `handOffRetrySeconds`; a hand-off made by the admin, a schedule or a situation is theirs
 * to end, so the policy neither hands off again nor takes it back.
 */
export function decideHandOff(latest: Assessment, s: PolicySettings, memory: PolicyMemory, status: HandOffStatus, now: number): HandOff | TakeBack | null {
  const shedding = memory.shedding;
  if (status.pending) return null;
  if (status.to === null) {
    if (shedding === null || s.peers.length === 0 || shedding.samples < s.handOffAfterSamples) return null;
    if (status.lastFailureAt !== null && now - status.lastFailureAt < s.handOffRetrySeconds * 1000) return null;
    const retry = status.lastFailureAt !== null ? ` (again: last time ${status.lastFailure ?? 'no peer accepted'})` : '';
    return {
      kind: 'hand-off', peers: s.peers,
      reason: `shedding for ${shedding.samples} samples (hand-off after ${s.handOffAfterSamples}), admitting `
        + `${Math.round(shedding.level * 100)} % of the entry throughput: new traffic to the least loaded of ${s.peers.join(', ')}${retry}`,
      evidence: evidence(latest, shedding.samples, s.handOffAfterSamples),
    };
  }
  if (status.cause !== 'policy' || shedding !== null || memory.healthySamples < s.takeBackAfterSamples) return null;
  return {
    kind: 'take-back',
    reason: `healthy (CPU share < ${s.shedRelaxCpuShare}, no overload) for ${memory.healthySamples} consecutive samples `
      + `(take-back after ${s.takeBackAfterSamples}), not shedding: taking new traffic back from ${status.to}`,
    evidence: evidence(latest, memory.healthySamples, s.takeBackAfterSamples),
  };
}
