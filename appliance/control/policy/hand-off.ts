import type { PolicySettings } from '../policy-settings.ts';
import { evidence, type HandOff, type TakeBack } from './actions.ts';
import type { Assessment } from './assess.ts';
import type { PolicyMemory } from './memory.ts';

/**
 * Overload ladder steps "hand off" and "recover", kept simple: hand new traffic to a peer once
 * shedding has lasted `handOffAfterSamples` samples (shedding alone did not cure it) and peers
 * are configured; take it back after `takeBackAfterSamples` consecutive healthy samples with
 * shedding over. Consecutive samples are the strictest K of W (K = W): taking traffic back too
 * early would bounce it straight back to the peer.
 */
export function decideHandOff(latest: Assessment, s: PolicySettings, memory: PolicyMemory, now: number): {
  action: HandOff | TakeBack | null; handedOffAt: number | null;
} {
  const shedding = memory.shedding;
  if (memory.handedOffAt === null) {
    if (shedding === null || s.peers.length === 0 || shedding.samples < s.handOffAfterSamples) return { action: null, handedOffAt: null };
    return {
      action: {
        kind: 'hand-off', peers: s.peers,
        reason: `shedding for ${shedding.samples} samples (hand-off after ${s.handOffAfterSamples}), admitting `
          + `${Math.round(shedding.level * 100)} % of the entry throughput: new traffic to ${s.peers.join(', ')}`,
        evidence: evidence(latest, shedding.samples, s.handOffAfterSamples),
      },
      handedOffAt: now,
    };
  }
  if (shedding !== null || memory.healthySamples < s.takeBackAfterSamples) return { action: null, handedOffAt: memory.handedOffAt };
  return {
    action: {
      kind: 'take-back',
      reason: `healthy (ELU < ${s.shedRelaxElu}, no overload) for ${memory.healthySamples} consecutive samples `
        + `(take-back after ${s.takeBackAfterSamples}), not shedding: taking new traffic back`,
      evidence: evidence(latest, memory.healthySamples, s.takeBackAfterSamples),
    },
    handedOffAt: null,
  };
}
