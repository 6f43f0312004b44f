/**
 * What the policy remembers between samples. It goes in and comes out of every call, so the
 * policy stays a pure function; the caller keeps the latest one (and may persist it).
 */
export interface PolicyMemory {
  /** Time stamp of the newest sample already decided on: one decision per sample. */
  readonly lastSampleTs: number | null;
  /** `now` of the last scale-out or scale-in, for the cool-downs. */
  readonly lastScaleAt: number | null;
  /** Present while shedding is in force. */
  readonly shedding: SheddingMemory | null;
  /** Consecutive healthy samples (calm, taken while not shedding), for take-back. */
  readonly healthySamples: number;
}

/** The shedding controller's state. */
export interface SheddingMemory {
  /** `now` when shedding began and when the rates last changed. */
  readonly startedAt: number;
  readonly lastChangeAt: number;
  /** Samples decided on while shedding (for hand-off). */
  readonly samples: number;
  /** Per-worker throughput measured when shedding began: the base the level applies to. */
  readonly baseCallsPerSecond: number;
  readonly baseRegistersPerSecond: number;
  /** Fraction of the base admitted; cut multiplicatively, raised additively (AIMD). */
  readonly level: number;
}

/** Memory of a freshly started control section: nothing decided yet. */
export const initialPolicyMemory: PolicyMemory = {
  lastSampleTs: null, lastScaleAt: null, shedding: null, healthySamples: 0,
};
